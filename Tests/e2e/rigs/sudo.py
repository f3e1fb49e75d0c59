"""sudo with a private PAM service, driven through a terminal.

`Defaults:USER pam_service=NAME` in a file under /etc/sudoers.d/ makes
sudo authenticate USER through /etc/pam.d/NAME; /etc/pam.d/sudo and every
other user's sudo stay as they are.
"""

import contextlib
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

from .pamstack import system_service, unique_service

SUDOERS_DIR = Path("/etc/sudoers.d")


@contextlib.contextmanager
def sudo_with_service(user: str, pam_stack: str):
    """Lets USER run anything through sudo, authenticated by `pam_stack`
    (written to /etc/pam.d/NAME); yields NAME. Both files go afterwards."""
    service = unique_service("sudo-otp-e2e")
    # sudo skips files in sudoers.d whose names contain a dot.
    rule = SUDOERS_DIR / f"otp-e2e-{uuid.uuid4().hex[:8]}"
    text = (
        f"Defaults:{user} pam_service={service}\n"
        # No lecture before the first prompt; sudo's usual three rounds,
        # whatever the host's sudoers says.
        f"Defaults:{user} lecture=never, passwd_tries=3\n"
        f"{user} ALL=(ALL:ALL) ALL\n"
    )
    # Checked under a dotted name (which sudo skips), then renamed into
    # place: a broken rule is never live, since it would break sudo for all.
    draft = rule.with_name(rule.name + ".draft")
    with system_service(service, pam_stack):
        try:
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
            with os.fdopen(descriptor, "w") as file:
                file.write(text)
            subprocess.run(["visudo", "-c", "-q", "-f", str(draft)], check=True)
            os.rename(draft, rule)
            yield service
        finally:
            draft.unlink(missing_ok=True)
            rule.unlink(missing_ok=True)


@dataclass
class SudoAttempt:
    prompts: list = field(default_factory=list)
    transcript: str = ""
    exitstatus: int | None = None


PROMPTS = {"password for ": "password", "Verification code: ": "code", "Sorry, try again.": "retry"}


def sudo_as(user: str, command: str, answers, timeout: float = 20) -> SudoAttempt:
    """As USER on a fresh terminal (`su --pty - USER -c 'sudo -k COMMAND'`),
    answers the prompts in order from `answers`, a list of (kind, text)
    pairs; stops at the first prompt it has no answer for (Ctrl-C)."""
    child = pexpect.spawn(
        "su", ["--pty", "-", user, "-c", f"sudo -k {command}"], encoding="utf-8", timeout=timeout,
        env={**os.environ, "LC_ALL": "C"},
    )
    attempt = SudoAttempt()
    pending = list(answers)
    patterns = list(PROMPTS) + [pexpect.EOF]
    try:
        while True:
            index = child.expect_exact(patterns)
            attempt.transcript += child.before + (child.after if isinstance(child.after, str) else "")
            if index == len(PROMPTS):
                break
            kind = PROMPTS[patterns[index]]
            attempt.prompts.append(kind)
            if kind == "retry":
                continue
            if not pending:
                child.sendintr()
                continue
            expected, text = pending.pop(0)
            assert expected == kind, f"sudo asked for {kind} where the test expected {expected}: {attempt}"
            child.sendline(text)
    finally:
        child.close()
    attempt.exitstatus = child.exitstatus
    return attempt
