"""Constants and helpers of the delivery tests (issue 6)."""

import re
import time
from dataclasses import dataclass
from pathlib import Path

from rigs import processes
from rigs.accounts import Account
from rigs.conversation import Conversation, ConversationResult
from rigs.pamstack import private_service_dir, unique_service

MAIL_FROM = "pam-otp-e2e@example.org"


SUBJECT = "pam_otp e2e verification code"


SMS_SENDER = "pam-otp-e2e"


COMMAND = 'echo "remote:$(id -un)"'


# The one prompt, for every user: it names no address and no channel.
PROMPT = "Verification code: "


# After an empty answer, for every user (PAM_TEXT_INFO): it says neither
# whether there is an address nor whether a code went out.
ON_ITS_WAY = "If you have a delivery address, a code is on its way to it."


EXPIRED = "That code has expired; press Enter at the prompt for a new one."


REPLAYED = "That code was already used; wait for the next one."


def masked(address: str) -> str:
    """The masking issue 6 asks for, in log lines only: a***@example.com, +44*****789."""
    if address.startswith("+"):
        return f"+{address[1:3]}*****{address[-3:]}"
    return f"{address[0]}***{address[address.rindex('@'):]}"


class Services:
    """Private pam_wrapper services, one `auth required pam_otp.so OPTIONS`
    each, and conversations with pamtester through them."""

    def __init__(self, module: Path, directory: Path):
        self.module = module
        self.directory = private_service_dir(directory, {})

    def add(self, *options) -> str:
        name = unique_service("otp-deliver")
        (self.directory / name).write_text(" ".join(["auth", "required", str(self.module), *options]) + "\n")
        return name

    def talk(self, service: str, user: str, info_to: Path | None = None) -> Conversation:
        return Conversation(self.directory, service, user, info_to=info_to)


@dataclass
class Recipient:
    """An enrolled user and the address codes go to."""

    account: Account
    address: str

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def masked(self) -> str:
        return masked(self.address)


def shown(result: ConversationResult) -> list:
    """What the module put on the user's terminal, line by line, in order:
    prompts and messages, without pamtester's own lines. A prompt is its
    own line (the answer is not echoed; the newline after it is)."""
    lines = result.transcript.replace("\r\n", "\n").split("\n")
    return [line for line in lines if line and not line.startswith("pamtester: ")]


# One module line: `…pam_otp(SERVICE:auth): user=U service=S rhost=R tty=T TEXT`.
MODULE_LINE = re.compile(r"pam_otp\([^)]*\): user=(?P<user>\S+) service=\S+ rhost=\S+ tty=\S+ (?P<text>.*)$")


def events(syslog, user: str) -> list:
    """What the module logged about USER, in order: the text after the
    context fields of each of its lines."""
    found = []
    for line in syslog.text(settle=0.1).splitlines():
        match = MODULE_LINE.search(line)
        if match and match["user"] == user:
            found.append(match["text"])
    return found


def logged_exactly(syslog, user: str, expected: list):
    """USER's module lines are EXPECTED, one for one, in order: each a
    string (the whole text) or a compiled pattern (matching the whole text)."""
    got = events(syslog, user)
    assert len(got) == len(expected) and all(
        (want.fullmatch(text) is not None) if isinstance(want, re.Pattern) else want == text
        for want, text in zip(expected, got)
    ), f"log lines for {user}:\n  " + "\n  ".join(got) + "\nexpected:\n  " + "\n  ".join(map(str, expected))


def sent(recipient: Recipient, channel: str = "by e-mail") -> str:
    """The log line of a code that its program delivered (exit status 0)."""
    return f"code sent {channel} to {recipient.masked}"


def delivery_failed(recipient: Recipient, why: str) -> str:
    """The log line of a code that its program did not deliver."""
    channel = "sms" if recipient.address.startswith("+") else "email"
    return f"delivery={channel}:{recipient.masked} {why}"


TOO_SOON = re.compile(r"code not sent: asked again too soon \([1-9]\d* s before a new one\)")


STILL_WORKS = "code not sent: a code sent earlier still works"


MAX_SENDS = "code not sent: max_sends reached"


MAX_SENDS_LAST_WORKS = "code not sent: max_sends reached; the last code still works"


STOPPED = "delivery command was still running when the login ended and was killed"


def program_done(path) -> bool:
    """Whether no process runs PATH any more (a delivery program has ended,
    and the module will find its status at the next answer)."""
    return processes.with_argument(str(path)) == []


def wait_for(condition, timeout: float = 20) -> bool:
    """Polls CONDITION until it holds (True) or TIMEOUT seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def refused(reason: str) -> str:
    return f'result=refused reason="{reason}"'


SENT_CODE_ACCEPTED = "result=success method=sent_code"


def no_process_left(result: ConversationResult):
    """The module left nothing running behind. A program the module killed
    with its group (at the end of the login, or at deliver_timeout) may
    leave a killed grandchild, adopted by the test's subreaper, as a zombie
    until that reaps it (under sshd and sudo, init does): only those may
    remain, dead."""
    alive = [process for process in result.leftovers if process["state"] != "Z"]
    assert alive == [], f"processes left running: {alive}"


class TracingProgram:
    """A deliver= program of the test's own that leaves a trace of what it
    did, one file per user and event under a directory only root can write:
    `started` and `exited` hold when (seconds since 1970, as `date +%s.%N`
    writes them); `code` holds the code it was given, written on arrival or
    just before it exits (`code_at`). In between it sleeps `sleep`
    seconds; it exits with `status`. Each file appears whole (written
    aside, then renamed), so a test can wait for it and read it."""

    def __init__(self, programs, name: str, *, sleep: float, status: int = 0, code_at: str = "exit",
                 known_codes: list | None = None):
        assert code_at in ("start", "exit")
        self.directory = programs.path / f"{name}.trace"
        self.directory.mkdir(mode=0o755)
        self.known_codes = known_codes if known_codes is not None else []
        write_code = 'note code "$code"'
        self.path = programs.install(name, "\n".join([
            "#!/bin/sh",
            "# pam_otp e2e: a delivery program that says what it did and when.",
            "set -eu",
            f"trace={self.directory}/$PAM_USER",
            'note() { printf \'%s\\n\' "$2" >"$trace.$1.tmp"; mv "$trace.$1.tmp" "$trace.$1"; }',
            "IFS= read -r code",
            'note started "$(date +%s.%N)"',
            write_code if code_at == "start" else ":",
            f"sleep {sleep}",
            write_code if code_at == "exit" else ":",
            'note exited "$(date +%s.%N)"',
            f"exit {status}",
            "",
        ]))

    def file(self, user: str, event: str) -> Path:
        return self.directory / f"{user}.{event}"

    def has(self, user: str, event: str) -> bool:
        return self.file(user, event).exists()

    def wait(self, user: str, event: str, timeout: float = 15) -> str:
        """The content of the trace file EVENT, once it is there."""
        deadline = time.monotonic() + timeout
        while not self.has(user, event):
            assert time.monotonic() < deadline, f"{event} not traced for {user} in {timeout} s"
            time.sleep(0.02)
        return self.file(user, event).read_text().strip()

    def when(self, user: str, event: str) -> float:
        return float(self.wait(user, event))

    def code(self, user: str) -> str:
        code = self.wait(user, "code")
        self.known_codes.append(code)
        return code

    def forget(self, user: str):
        """Removes the user's trace, for the next run of the program."""
        for event in ("started", "code", "exited"):
            self.file(user, event).unlink(missing_ok=True)
