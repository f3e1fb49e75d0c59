"""A real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd) that keeps
every message it accepts in a Maildir, and an msmtp configuration that
sends to it.

The server is a child process started here and stopped by its PID; its
Maildir (which holds codes) is removed with it.
"""

import contextlib
import email
import email.message
import mailbox
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .net import free_port, wait_for_listener


class SmtpServer:
    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="pam-otp-smtp-"))
        # aiosmtpd's Mailbox handler creates the Maildir; it must not exist yet.
        self.maildir = self.directory / "Maildir"
        self.log = self.directory / "aiosmtpd.log"
        self.port = free_port()
        self.process = None
        self._seen = set()

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
                 "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            wait_for_listener(self.port, alive=lambda: self.process.poll() is None)
        except BaseException:
            self._terminate()
            raise
        return self

    def stop(self):
        """Stops the server and removes its mail."""
        self._terminate()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _terminate(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @contextlib.contextmanager
    def down(self):
        """The server stopped for the duration (a mail host that is down),
        then started again on the same port."""
        self._terminate()
        try:
            yield
        finally:
            self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exception):
        self.stop()

    def _arrived(self) -> list:
        """(key, message) for every message kept, oldest first."""
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        return [(key, email.message_from_bytes(box.get_bytes(key))) for key in sorted(box.keys(), key=_delivered_at)]

    def all_messages(self) -> list:
        """Every message this server has kept, taken or not."""
        return [message for _, message in self._arrived()]

    def unseen(self) -> list:
        """Messages that arrived since they were last taken, oldest first."""
        return [message for key, message in self._arrived() if key not in self._seen]

    def take(self, count: int = 1, timeout: float = 10) -> list:
        """Waits for COUNT new messages, marks them taken and returns them
        (email.message.Message)."""
        deadline = time.monotonic() + timeout
        while True:
            arrived = [(key, message) for key, message in self._arrived() if key not in self._seen]
            if len(arrived) >= count:
                taken = arrived[:count]
                self._seen.update(key for key, _ in taken)
                return [message for _, message in taken]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(arrived)} of {count} messages arrived in {timeout} s; "
                                   f"server log:\n{self.log_text()[-2000:]}")
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _delivered_at(key: str) -> tuple:
    """Python's Maildir names a message SECONDS.MMICROSECONDSP...: when it arrived."""
    match = re.match(r"(\d+)\.M(\d+)P", key)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def msmtp_config(port: int, sender: str) -> str:
    """An msmtprc for the loopback server: no authentication, no TLS."""
    return "\n".join([
        "defaults",
        "auth off",
        "tls off",
        "account default",
        "host 127.0.0.1",
        f"port {port}",
        f"from {sender}",
        "",
    ])
