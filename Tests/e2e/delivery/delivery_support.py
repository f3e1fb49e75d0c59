"""Constants and helpers of the delivery tests (issue 6)."""

from dataclasses import dataclass
from pathlib import Path

from rigs.accounts import Account
from rigs.conversation import Conversation
from rigs.pamstack import private_service_dir, unique_service

MAIL_FROM = "pam-otp-e2e@example.org"


SUBJECT = "pam_otp e2e verification code"


SMS_SENDER = "pam-otp-e2e"


COMMAND = 'echo "remote:$(id -un)"'


TOO_SOON = "A code was sent moments ago; you can ask for a new one in "


EXPIRED = "That code has expired; press Enter at the prompt for a new one."


TOO_MANY = "Too many codes were sent recently; try again later."


def not_sent(channel: str) -> str:
    return f"The code could not be sent {channel}; please try again later."


def sent_prompt(masked: str, channel: str = "by e-mail") -> str:
    return f"Code sent {channel} to {masked}: "


def offer_prompt(masked: str) -> str:
    return f"Verification code (or press Enter for one by e-mail to {masked}): "


def masked(address: str) -> str:
    """The masking issue 6 asks for: a***@example.com, +44*****789."""
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

    def talk(self, service: str, user: str) -> Conversation:
        return Conversation(self.directory, service, user)


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


def log_line(syslog, *parts) -> str:
    """The one log line that holds every one of PARTS."""
    lines = [line for line in syslog.text(settle=0.1).splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, f"expected one line with {parts}, got: {lines}\n{syslog.text(settle=0)}"
    return lines[0]

def refused_before_the_prompt(result, channel="by e-mail"):
    """The login ended with the message and without a code prompt, and the
    module left no process behind."""
    assert not_sent(channel) in result.transcript, result
    assert "Code sent" not in result.transcript, result
    assert not result.authenticated, result
    assert result.leftovers == [], f"processes left behind: {result.leftovers}"
