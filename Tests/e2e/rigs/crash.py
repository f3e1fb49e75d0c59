"""A PAM application that can be SIGKILLed at a chosen moment of an
authentication (crash_host.c), and the private stack and secret directory
it authenticates against.

The host is compiled once per session with the system's C compiler (or the
clang that ships with the Swift toolchain). It reads its stack from a
private directory through pam_start_confdir, so /etc/pam.d is never read.
"""

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("crash_host.c")
PAM_AUTH_ERR = 7
PAM_SUCCESS = 0


def build_host(directory: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    assert compiler, "no C compiler (cc, gcc or clang) to build crash_host.c"
    binary = directory / "crash_host"
    subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-o", str(binary), str(SOURCE), "-lpam"], check=True)
    return binary


@dataclass
class HostRun:
    """One run of the host: the PAM result it printed (None when it was
    killed before it could report one) and how it ended."""

    result: int | None
    elapsed_ns: int | None
    killed: bool

    @property
    def reported_success(self) -> bool:
        return self.result == PAM_SUCCESS


class CrashRig:
    """USER's secret file in a root-owned 0700 directory, a stack that
    names it, and the host that authenticates against them."""

    def __init__(self, host: Path, module: Path, directory: Path, options=(), user: str = "nobody"):
        self.host = host
        self.user = user
        self.config = directory / "pam"
        self.secrets = directory / "secrets"
        self.config.mkdir()
        self.secrets.mkdir(mode=0o700)
        self.service = "pam-otp-crash"
        line = " ".join(["auth", "required", str(module), f"secret={self.secrets}/${{USER}}", *options])
        (self.config / self.service).write_text(line + "\n")
        (self.config / "other").write_text("auth required pam_deny.so\n")

    @property
    def secret_file(self) -> Path:
        return self.secrets / self.user

    def run(self, answer: str, kill_after_ns: int = 0) -> HostRun:
        """Authenticates with ANSWER; with KILL_AFTER_NS the process is
        SIGKILLed that long after pam_authenticate was entered."""
        completed = subprocess.run(
            [str(self.host), str(self.config), self.service, self.user, answer, str(kill_after_ns)],
            capture_output=True, text=True, timeout=60,
        )
        killed = completed.returncode == -signal.SIGKILL
        assert killed or completed.returncode == 0, f"crash_host failed: {completed}"
        match = re.search(r"^result (\d+) elapsed_ns (\d+)$", completed.stdout, re.M)
        assert match or killed, f"crash_host printed no result: {completed}"
        return HostRun(
            result=int(match.group(1)) if match else None,
            elapsed_ns=int(match.group(2)) if match else None,
            killed=killed,
        )

    def strays(self) -> list:
        """Temporary files a killed write left beside the secret file: an
        update's `.USER.update~` (at most one: the next update replaces it),
        or a random `.USER.XXXXXXXXXXXXXXXX~` from enrolment."""
        pattern = re.compile(rf"^\.{re.escape(self.user)}\.([0-9a-f]{{16}}|update)~$")
        return sorted(name for name in os.listdir(self.secrets) if pattern.match(name))
