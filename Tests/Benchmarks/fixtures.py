"""What the three modules are given: one throwaway user, one secret, the
same file content for pam_otp and GA, and a one-line stack each.

Every module gets its own copy of the files (their state must not mix), in
a root-owned 0700 directory on the same disk: pam_otp's default layout
(/var/lib/pam_otp), which GA reads with `user=root`.
"""

import base64
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

SECURITY_DIR = Path("/usr/lib/x86_64-linux-gnu/security")

# The two secret-file configurations of issue 5.
CONFIGS = {
    1: "TOTP, no reuse protection, no rate limit (GA and pam_otp write nothing)",
    2: '" RATE_LIMIT 3 30 and " DISALLOW_REUSE (state written and fsynced every login)',
}


@dataclass(frozen=True)
class Secret:
    key: bytes

    @property
    def base32(self) -> str:
        return base64.b32encode(self.key).decode().rstrip("=")

    @classmethod
    def random(cls):
        return cls(secrets.token_bytes(20))  # 160 bits, as the GA CLI makes


def ga_file(secret: Secret, config: int) -> str:
    """GA's ~/.google_authenticator format, as its CLI writes it."""
    lines = [secret.base32]
    if config == 2:
        lines.append('" RATE_LIMIT 3 30')
    lines.append('" WINDOW_SIZE 3')
    if config == 2:
        lines.append('" DISALLOW_REUSE')
    lines.append('" TOTP_AUTH')
    return "\n".join(lines) + "\n"


def oath_usersfile(secret: Secret, user: str, config: int) -> str:
    """pam_oath's usersfile: TOTP with 30 s steps, no PIN. pam_oath has no
    rate limit and always refuses a replayed code, rewriting the file at
    every login, so both configurations are the same file for it."""
    return f"HOTP/T30 {user} - {secret.key.hex()}\n"


@dataclass(frozen=True)
class Peer:
    name: str  # pam_otp, GA, pam_oath; or the reference "floor"
    slug: str  # for file and service names
    module: Path
    reference: bool = False  # pam_floor.c: cold, dlopen and memory only; reads no file

    def options(self, state_file: Path) -> str:
        if self.reference:
            return ""
        if self.slug == "otp":
            return f"secret={state_file}"
        if self.slug == "ga":
            # user=root: GA reads (and replaces) the root-owned file as root,
            # as pam_otp does in a root-owned directory.
            return f"secret={state_file} user=root"
        # window=1: the previous, current and next step, like WINDOW_SIZE 3.
        return f"usersfile={state_file} window=1 digits=6"

    def state_text(self, secret: Secret, user: str, config: int) -> str:
        return oath_usersfile(secret, user, config) if self.slug == "oath" else ga_file(secret, config)

    def stack_line(self, state_file: Path) -> str:
        return f"auth required {self.module} {self.options(state_file)}".rstrip() + "\n"


def peers(pam_otp_module: Path) -> list:
    return [
        Peer("pam_otp", "otp", pam_otp_module),
        Peer("GA", "ga", SECURITY_DIR / "pam_google_authenticator.so"),
        Peer("pam_oath", "oath", SECURITY_DIR / "pam_oath.so"),
    ]


def floor(module: Path) -> Peer:
    """pam_floor.c: what loading libcrypto and one HMAC cost a module."""
    return Peer("floor", "floor", module, reference=True)


def write_private(path: Path, text: str):
    """Writes PATH as root with mode 0600 (replacing it, so each module
    starts from a fresh file)."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(temporary, 0o600)
    os.rename(temporary, path)


def create_user(janitor, prefix: str = "otpbench") -> str:
    """A throwaway login user with a home and a random password (sshd wants
    a usable account); removed by the janitor."""
    name = f"{prefix}{secrets.token_hex(3)}"
    janitor.record("user", name)
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", "--comment", "pam_otp benchmark", name],
                   check=True, capture_output=True)
    subprocess.run(["chpasswd"], input=f"{name}:{secrets.token_hex(12)}\n", text=True, check=True)
    return name


def set_password(name: str) -> str:
    """A new random password for NAME, hashed as the system hashes
    passwords; returns it (for stacks that check it with pam_unix)."""
    password = "pw-" + secrets.token_hex(12)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
    return password
