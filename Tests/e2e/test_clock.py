"""Clocks a host may really have: an RTC reset to 1970 or before, or a
hostile time source. Through pamtester and the real libpam, with
libfaketime setting the clock the module reads.

Before 1970 there is no TOTP step and no time to record: the user is asked
as usual, refused with PAM_AUTHINFO_UNAVAIL, and nothing is written, so
the user is not locked out once the clock is right again (the module used
to write negative times that its own parser then refused). Far in the
future, codes of that time work and the state written parses.
"""

import calendar
import os
import subprocess

import pytest

from rigs.accounts import enrolled
from rigs.codes import totp
from rigs.pamstack import PamtesterResult, private_service_dir

CODE_PROMPT = "Verification code: "


@pytest.fixture
def scene(module_path, otpctl, users, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    os.chmod(secrets, 0o700)
    account = enrolled(users, otpctl, "--secret-file", secrets / "${USER}", prefix="otpclk")
    services = private_service_dir(
        tmp_path / "services", {"otp-clock": f"auth required {module_path} secret={secrets}/${{USER}}\n"})
    return account, services


def pamtester_at(services, user: str, answers, moment: str | None) -> PamtesterResult:
    """pamtester with the module's clock at MOMENT ("1969-12-31 23:59:00",
    UTC), or the real clock for None."""
    environment = dict(os.environ, LD_PRELOAD="libpam_wrapper.so", PAM_WRAPPER="1",
                       PAM_WRAPPER_SERVICE_DIR=str(services), TZ="UTC")
    command = ["pamtester", "-v", "otp-clock", user, "authenticate"]
    if moment is not None:
        command = ["faketime", "-f", f"@{moment}", *command]
    completed = subprocess.run(command, input="".join(f"{answer}\n" for answer in answers),
                               capture_output=True, text=True, env=environment, timeout=60)
    return PamtesterResult(completed)


@pytest.mark.parametrize("moment", ["1969-12-31 23:59:00", "1901-12-14 00:00:00"])
def test_a_clock_before_1970_is_refused_and_writes_nothing(scene, otpctl, moment):
    account, services = scene
    before = account.secret_file.read_bytes()
    for answer in ["000000", totp(account.secret), "12345678"]:
        result = pamtester_at(services, account.name, [answer], moment)
        assert result.count(CODE_PROMPT) == 1, result
        assert not result.authenticated, result
        assert "cannot retrieve authentication info" in result.output, result
    assert account.secret_file.read_bytes() == before
    # Once the clock is right, nothing of it is left: the file reads, no
    # back-off holds, and a code works.
    status = otpctl("status", account.name, "--secret-file", account.secret_file)
    assert status.returncode == 0, status.stderr
    assert pamtester_at(services, account.name, [totp(account.secret)], None).authenticated


def test_far_in_the_future_codes_of_that_time_work_and_the_state_reads(scene, otpctl):
    account, services = scene
    moment = "9999-12-30 23:59:00"
    seconds = calendar.timegm((9999, 12, 30, 23, 59, 0))
    near = {totp(account.secret, at=seconds + 30 * offset) for offset in range(-5, 2)}
    wrong_code = next(f"{candidate:06d}" for candidate in range(1_000_000) if f"{candidate:06d}" not in near)
    wrong = pamtester_at(services, account.name, [wrong_code], moment)
    assert wrong.count(CODE_PROMPT) == 1 and not wrong.authenticated, wrong
    right = pamtester_at(services, account.name, [totp(account.secret, at=seconds)], moment)
    assert right.authenticated, right
    status = otpctl("status", account.name, "--secret-file", account.secret_file)
    assert status.returncode == 0, status.stderr
