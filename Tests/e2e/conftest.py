"""Fixtures shared by the end-to-end tests.

The tests run the release build that scripts/test made (PAM_OTP_MODULE,
OTPCTL) against real programs: libpam, sshd, sudo, oathtool, the
google-authenticator CLI. They run as root and undo what they change
(users, files under /etc, servers), also when a test fails.
"""

import os
import pwd
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_path(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable, ROOT / default))
    if not path.exists():
        pytest.exit(f"{path} does not exist: run scripts/test, or build with swift build -c release", 2)
    return path


@pytest.fixture(scope="session")
def module_path() -> Path:
    """The pam_otp module under test (the release build)."""
    return _build_path("PAM_OTP_MODULE", ".build/release/libpam_otp.so")


@pytest.fixture(scope="session")
def otpctl_path() -> Path:
    return _build_path("OTPCTL", ".build/release/otpctl")


@pytest.fixture
def otpctl(otpctl_path):
    """Runs otpctl; returns the CompletedProcess (text mode)."""

    def run(*arguments, user=None, input=None, check=False, env=None):
        command = [str(otpctl_path), *map(str, arguments)]
        if user is not None:
            command = ["runuser", "-u", user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, input=input, check=check, env=env)

    return run


class Users:
    """Creates throwaway users and removes them (and their homes) afterwards."""

    def __init__(self):
        self.created = []

    def create(self, prefix="otp"):
        name = f"{prefix}{uuid.uuid4().hex[:8]}"
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        self.created.append(name)
        return pwd.getpwnam(name)

    def set_password(self, name, password, cheap_hash=False):
        """With `cheap_hash`, SHA-512 with 1,000 rounds instead of the
        system's yescrypt, for tests that run pam_unix hundreds of times."""
        options = ["--crypt-method", "SHA512", "--sha-rounds", "1000"] if cheap_hash else []
        subprocess.run(["chpasswd", *options], input=f"{name}:{password}\n", text=True, check=True)

    def cleanup(self):
        for name in self.created:
            subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)
            for path in (Path("/var/lib/pam_otp") / name,):
                path.unlink(missing_ok=True)


@pytest.fixture
def users():
    registry = Users()
    yield registry
    registry.cleanup()


@pytest.fixture(scope="module")
def module_users():
    """Users that the tests of one module share, removed after the last."""
    registry = Users()
    yield registry
    registry.cleanup()


class SyslogSink:
    """Binds /dev/log (these machines have no syslog daemon) and collects
    the datagrams the module sends, so tests can assert on log lines."""

    def __init__(self, path="/dev/log"):
        self.path = path
        self.lines = []
        self._lock = threading.Lock()
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(path)
        os.chmod(path, 0o666)
        self.socket.settimeout(0.2)
        self._running = True
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while self._running:
            try:
                data = self.socket.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def text(self, settle=0.3):
        time.sleep(settle)
        with self._lock:
            return "\n".join(self.lines)

    def clear(self):
        with self._lock:
            self.lines.clear()

    def close(self):
        self._running = False
        self._thread.join(timeout=2)
        self.socket.close()
        os.unlink(self.path)


@pytest.fixture(scope="session")
def syslog():
    """The log lines of the whole session; `syslog.clear()` between checks."""
    if os.path.exists("/dev/log"):
        pytest.skip("a syslog daemon owns /dev/log; log assertions need the test sink")
    sink = SyslogSink()
    yield sink
    sink.close()
