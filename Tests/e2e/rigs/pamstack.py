"""PAM service files: the recipes shipped in pam.d/, turned into services
the tests can load, and the two ways to load them:

- `system_service` writes /etc/pam.d/NAME for programs that read the real
  configuration (sshd, sudo) under a fresh name, and removes it again;
  the services administrators already have (sshd, sudo) are never touched.
- `pamtester` runs an unmodified PAM program under pam_wrapper, which reads
  a private service directory instead of /etc/pam.d.
"""

import contextlib
import os
import re
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "pam.d"
SYSTEM_PAM_DIR = Path("/etc/pam.d")
SECURITY_DIR = Path("/usr/lib/x86_64-linux-gnu/security")


def shipped(name: str, module=None) -> str:
    """The lines pam.d/NAME as shipped. With `module`, every module field
    `pam_otp.so` names that file instead (the build under test); options,
    control fields, comments and `@include` lines stay as they are."""
    lines = []
    for line in (SHIPPED / name).read_text().splitlines():
        if module is not None and module_field(line) == "pam_otp.so":
            line = re.sub(r"(?<=\s)pam_otp\.so(?=\s|$)", str(module), line, count=1)
            assert module_field(line) == str(module), line
        lines.append(line)
    return "\n".join(lines) + "\n"


def module_field(line: str):
    """The module of a stack line (`type control module options`), where
    the control may be a bracketed list with spaces; None for comments,
    blank and `@include` lines."""
    match = re.match(r"\s*-?\w+\s+(\[[^\]]*\]|\S+)\s+(\S+)", line)
    if line.lstrip().startswith(("#", "@")) or match is None:
        return None
    return match.group(2)


def with_option_on_last(stack: str, module, option: str) -> str:
    """The stack with OPTION added to the last line that runs MODULE (what
    the recipes' roll-out note asks administrators to do with `nullok`)."""
    lines = stack.splitlines()
    last = max(index for index, line in enumerate(lines) if module_field(line) == str(module))
    lines[last] = f"{lines[last]} {option}"
    return "\n".join(lines) + "\n"


def with_options_on_every(stack: str, module, *options: str) -> str:
    """The stack with OPTIONS added to every line that runs MODULE: the
    decoy line must be given the same options as the real one."""
    lines = [f"{line} {' '.join(options)}" if options and module_field(line) == str(module) else line
             for line in stack.splitlines()]
    return "\n".join(lines) + "\n"


def auth_lines(stack: str) -> str:
    """Only the `auth` lines: what `pamtester authenticate` runs, without
    `@include`s that a private service directory does not have."""
    return "".join(line + "\n" for line in stack.splitlines() if line.split()[:1] == ["auth"])


def unique_service(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def system_service(name: str, text: str):
    """/etc/pam.d/NAME for the duration; refuses to replace an existing one."""
    path = SYSTEM_PAM_DIR / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        yield path
    finally:
        path.unlink(missing_ok=True)


def private_service_dir(directory: Path, services: dict) -> Path:
    """A service directory for pam_wrapper: the given services plus an
    `other` that denies, so a misspelt service can never fall back to
    Debian's password-only `other` stack."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "other").write_text("auth required pam_deny.so\naccount required pam_deny.so\n")
    for name, text in services.items():
        (directory / name).write_text(text)
    return directory


class PamtesterResult:
    def __init__(self, completed: subprocess.CompletedProcess):
        self.returncode = completed.returncode
        # misc_conv writes prompts to stderr, pamtester its verdict to both.
        self.output = completed.stdout + completed.stderr

    @property
    def authenticated(self) -> bool:
        return self.returncode == 0 and "successfully authenticated" in self.output

    def count(self, prompt: str) -> int:
        return self.output.count(prompt)

    def __repr__(self):
        return f"PamtesterResult(returncode={self.returncode}, output={self.output!r})"


def pamtester(service_dir: Path, service: str, user: str, answers, extra_environment=None,
              items=None) -> PamtesterResult:
    """`pamtester SERVICE USER authenticate` under pam_wrapper; `answers`
    are the lines typed at the prompts, in order. `extra_environment` is
    added last (another preload such as nss_wrapper: then LD_PRELOAD must
    name libpam_wrapper.so as well). `items` are PAM items to set first
    (`{"rhost": "192.0.2.7"}`)."""
    environment = dict(os.environ)
    environment.update(
        LD_PRELOAD="libpam_wrapper.so", PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=str(service_dir)
    )
    environment.update(extra_environment or {})
    completed = subprocess.run(
        ["pamtester", "-v", *(f"-I{name}={value}" for name, value in (items or {}).items()), service, user,
         "authenticate"],
        input="".join(f"{answer}\n" for answer in answers),
        capture_output=True, text=True, env=environment, timeout=60,
    )
    return PamtesterResult(completed)

