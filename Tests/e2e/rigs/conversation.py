"""pamtester under pam_wrapper, driven one prompt at a time on a terminal.

rigs/pamstack.pamtester types all answers up front; a delivered code is
only known once the mail or SMS has arrived, and expiry and resend need
waits between prompts, so these tests talk to pamtester through pexpect.

The application runs under rigs/reaper.py, which reports any process the
module left behind (a zombie, or a delivery command's child that outlived
it). pam_wrapper passes the module's syslog lines on to /dev/log
(PAM_WRAPPER_USE_SYSLOG), where conftest's sink reads them.
"""

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

REAPER = Path(__file__).with_name("reaper.py")


@dataclass
class ConversationResult:
    transcript: str
    exitstatus: int | None
    # Processes the application left behind, as rigs/reaper.py saw them.
    leftovers: list = field(default_factory=list)

    @property
    def authenticated(self) -> bool:
        return self.exitstatus == 0 and "successfully authenticated" in self.transcript


class Conversation:
    """`pamtester SERVICE USER authenticate` with SERVICE read from
    `service_dir` (a rigs.pamstack.private_service_dir)."""

    def __init__(self, service_dir: Path, service: str, user: str, timeout: float = 15,
                 info_to: Path | None = None):
        descriptor, report = tempfile.mkstemp(prefix="pam-otp-reaper-", suffix=".json")
        os.close(descriptor)
        self.report = Path(report)
        application = [
            # env sets the preload for pamtester alone, not for the reaper.
            "env", "LD_PRELOAD=libpam_wrapper.so", "PAM_WRAPPER=1",
            f"PAM_WRAPPER_SERVICE_DIR={service_dir}", "PAM_WRAPPER_USE_SYSLOG=1",
            "pamtester", "-v", service, user, "authenticate",
        ]
        if info_to is not None:
            # pamtester's conversation (libpam's misc_conv) writes prompts,
            # PAM_ERROR_MSG and its own lines to stderr, PAM_TEXT_INFO alone
            # to stdout: with stdout in a file, the terminal shows the first
            # three and the file holds the informational messages.
            application = ["sh", "-c", 'exec "$@" >"$0"', str(info_to), *application]
        self.transcript = ""
        self.child = pexpect.spawn(
            sys.executable, [str(REAPER), str(self.report), *application],
            encoding="utf-8", timeout=timeout, env={**os.environ, "LC_ALL": "C"},
        )

    def expect(self, text: str) -> str:
        """Waits for TEXT (a prompt, a message); returns what came before it."""
        self.expect_any([text])
        return self.child.before

    def expect_any(self, texts: list) -> str:
        """Waits for the first of TEXTS to appear; returns which one did."""
        index = self.child.expect_exact(texts)
        self.transcript += self.child.before + self.child.after
        return texts[index]

    def answer(self, line: str):
        self.child.sendline(line)

    def finish(self) -> ConversationResult:
        """Waits until pamtester exits (answering nothing further)."""
        try:
            self.child.expect(pexpect.EOF)
            self.transcript += self.child.before
        finally:
            self.close()
        text = self.report.read_text() if self.report.exists() else ""
        self.report.unlink(missing_ok=True)
        return ConversationResult(self.transcript, self.child.exitstatus, json.loads(text) if text else [])

    def close(self):
        if not self.child.closed:
            self.child.close(force=True)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
        self.report.unlink(missing_ok=True)
