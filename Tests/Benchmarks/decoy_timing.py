"""The decoy's timing figure (issue 9): how long the shipped stacks take to
refuse a wrong code after a wrong password (the decoy line answers) and
after the right password (the real line answers). An attacker who can tell
the two apart by the time of the refusal learns whether the password was
right, so the medians should differ by less than 25%.

The auth lines an administrator's /etc/pam.d/sshd and sudo have after the
README's recipe run as shipped: pam.d/password-then-code in place of
Debian's `@include common-auth`, the stacks' only auth lines (pam_unix with
its `nodelay`), with the module field pointed at the module under test and
`secret=` on both pam_otp lines naming the benchmark's file. The sshd
stack runs in the sshd-like host, the sudo stack in the bare one. The user has a real password (the system's
hash); the file is what `otpctl enroll` writes by default (RATE_LIMIT 3 30,
DISALLOW_REUSE, a window of 3, five scratch codes). Every run is a fresh
process at the same fake second that answers the same wrong code (one that
no step within GA's skew search produces) from a fresh copy of the file,
written before the process starts, so no rate limit or back-off builds up.
"""

import os
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import totp
from fixtures import Secret, ga_file, write_private

SHIPPED = Path(__file__).resolve().parents[2] / "pam.d"
# The recipe each stack's auth lines come from (Debian's sshd and sudo
# stacks have no auth lines besides the include it replaces).
RECIPES = {"sshd": "password-then-code", "sudo": "password-then-code"}
# Which host each stack's application is: sshd has libcrypto loaded, sudo not.
STACK_HOSTS = {"sshd": "sshd-like", "sudo": "bare"}
PASSWORDS = {"decoy": "a wrong password (decoy line)", "real": "the right password (real line)"}
METRICS = [
    ("answer_to_result_ns", "code answered → PAM result"),
    ("password_to_prompt_ns", "password answered → code prompt"),
    ("pam_authenticate_ns", "whole pam_authenticate"),
]


def otpctl_default_file(secret: Secret) -> str:
    """What `otpctl enroll USER` writes: config 2's lines and five scratch codes."""
    return ga_file(secret, 2) + "".join(f"{10_000_000 + secrets.randbelow(90_000_000)}\n" for _ in range(5))


def shipped_auth_lines(name: str, module: Path, secret_file: Path) -> str:
    """The auth lines of the stack NAME (its recipe in pam.d/), `pam_otp.so`
    replaced by MODULE with `secret=SECRET_FILE` added; every other line as
    shipped."""
    lines = []
    for line in (SHIPPED / RECIPES[name]).read_text().splitlines():
        if line.split()[:1] != ["auth"]:
            continue
        if re.search(r"\spam_otp\.so(\s|$)", line):
            line = re.sub(r"(?<=\s)pam_otp\.so(?=\s|$)", str(module), line, count=1) + f" secret={secret_file}"
        lines.append(line)
    assert sum(str(module) in line for line in lines) == 2, f"pam.d/{RECIPES[name]}: expected two pam_otp lines"
    return "\n".join(lines) + "\n"


def wrong_code(secret: Secret, step: int) -> str:
    """A code that no step within GA's skew search (±1500) of STEP makes."""
    near = {totp.code(secret.key, step + offset) for offset in range(-1600, 1601)}
    candidate = secrets.randbelow(1_000_000)
    while f"{candidate:06d}" in near:
        candidate = (candidate + 123457) % 1_000_000
    return f"{candidate:06d}"


@dataclass
class DecoyTiming:
    pam_host: Path
    work_dir: Path
    module: Path
    user: str
    password: str
    hosts: dict  # host name -> in_process.Host
    step: int

    def __post_init__(self):
        self.stack_dir = self.work_dir / "pam.d-decoy"
        self.secret_file = self.work_dir / "state" / "otp-decoy"
        self.secret = Secret.random()
        self.pristine = otpctl_default_file(self.secret)
        self.code = wrong_code(self.secret, self.step)

    def prepare(self):
        self.stack_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.secret_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.stack_dir / "other").write_text("auth required pam_deny.so\n")
        for stack in STACK_HOSTS:
            (self.stack_dir / stack).write_text(shipped_auth_lines(stack, self.module, self.secret_file))

    def measure(self, stack: str, which: str) -> dict:
        write_private(self.secret_file, self.pristine)
        password = self.password if which == "real" else "X" + self.password[1:]
        host = self.hosts[STACK_HOSTS[stack]]
        command = [str(self.pam_host), "refusal", str(self.stack_dir), stack, self.user, password]
        result = subprocess.run(command, input=f"{self.step}\n{self.code}\n", capture_output=True, text=True,
                                env={**os.environ, **dict(host.environment)}, timeout=120)
        if result.returncode != 0:
            raise SystemExit(f"bench: decoy timing, pam.d/{stack} after {PASSWORDS[which]} FAILED "
                             f"(exit {result.returncode}): {result.stderr.strip()}")
        return {key: int(value) for key, value in (item.split("=") for item in result.stdout.split())}
