"""pam_otp inside the real sudo, on a terminal (`su --pty - USER -c 'sudo
-k ...'`). USER's pam_service is Debian's own /etc/pam.d/sudo with the
README's recipe applied (`@include common-auth` replaced by the lines of
pam.d/password-then-code, the module field pointed at the build under
test; pam_limits and the rest kept).

- the right password and the right code run the command as root;
- a wrong code is refused ("Sorry, try again.") and nothing runs;
- a wrong password still gets the code prompt, and the secret file is
  not touched;
- the user cannot read their own default secret file, so a shell stolen
  from them cannot mint the codes sudo asks for.
"""

import re

import pytest

from rigs.accounts import enrolled
from rigs.codes import totp, wrong_totp
from rigs.debian import debian_stack
from rigs.sudo import sudo_as, sudo_with_service

RAN_AS_ROOT = re.compile(r"^0\r?$", re.MULTILINE)


@pytest.fixture
def account(users, otpctl, module_path):
    account = enrolled(users, otpctl)
    with sudo_with_service(account.name, debian_stack("sudo", "password-then-code", module_path)):
        yield account


def test_right_password_and_code_run_the_command_as_root(account):
    attempt = sudo_as(account.name, "id -u", [("password", account.password), ("code", totp(account.secret))])
    assert attempt.prompts == ["password", "code"], attempt
    assert attempt.exitstatus == 0, attempt
    assert RAN_AS_ROOT.search(attempt.transcript), attempt


def test_wrong_code_is_refused(account):
    # After "Sorry, try again." sudo asks again; the rig answers nothing more
    # (Ctrl-C), so the only code sudo ever saw was the wrong one.
    attempt = sudo_as(account.name, "id -u", [("password", account.password), ("code", wrong_totp(account.secret))])
    assert attempt.prompts[:4] == ["password", "code", "retry", "password"], attempt
    assert "Sorry, try again." in attempt.transcript
    assert attempt.exitstatus != 0, attempt
    assert not RAN_AS_ROOT.search(attempt.transcript), attempt


def test_wrong_password_still_asks_for_a_code_and_leaves_the_secret_alone(account):
    before = account.secret_file.read_bytes()
    attempt = sudo_as(
        account.name, "id -u", [("password", "not-" + account.password), ("code", totp(account.secret))]
    )
    assert attempt.prompts[:3] == ["password", "code", "retry"], attempt
    assert attempt.exitstatus != 0, attempt
    assert not RAN_AS_ROOT.search(attempt.transcript), attempt
    assert account.secret_file.read_bytes() == before


def test_the_user_cannot_read_their_own_secret(account, otpctl):
    assert account.secret_file.stat().st_uid == 0
    assert account.secret_file.stat().st_mode & 0o077 == 0
    result = otpctl("code", account.name, user=account.name)
    assert result.returncode != 0, result
    assert not re.fullmatch(r"\d{6}\s*", result.stdout), result
