"""otpctl unlock, run as a program: it says what it cleared, and says
that there was nothing to clear rather than "0 wrong codes cleared"."""

import os
import re

import pyotp

from otpctl_support import EXIT_OK, wrong_totp_code


def test_nothing_to_clear_is_said_and_nothing_is_written(enroll, otpctl):
    enrolled = enroll()
    before = os.stat(enrolled.path)
    result = otpctl("unlock", enrolled.name)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == (
        f"Nothing to clear for {enrolled.name}: no wrong codes, no back-off and no recent attempts.\n")
    after = os.stat(enrolled.path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the file was rewritten"


def test_wrong_codes_a_back_off_and_attempts_are_cleared_and_named(enroll, otpctl):
    enrolled = enroll()
    wrong = wrong_totp_code(pyotp.TOTP(enrolled.file.secret))
    # Three wrong codes: the third starts the (default) back-off, and the
    # rate limit (3 per 30 s) holds three attempts.
    for _ in range(3):
        assert otpctl("verify", enrolled.name, wrong).returncode != EXIT_OK
    file = enrolled.file
    assert file.option("FAILURES")[0] == "3" and file.option("BACKOFF_UNTIL") is not None
    result = otpctl("unlock", enrolled.name)
    assert result.returncode == EXIT_OK, result.stderr
    assert re.fullmatch(
        rf"Unlocked {enrolled.name}: cleared 3 wrong codes in a row, a back-off until "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s left\) and 3 recent attempts of the rate limit\.\n",
        result.stdout), result.stdout
    file = enrolled.file
    assert file.option("FAILURES") is None and file.option("BACKOFF_UNTIL") is None
    assert file.option("RATE_LIMIT") == ["3", "30"]
    assert otpctl("unlock", enrolled.name).stdout.startswith(f"Nothing to clear for {enrolled.name}")


def test_one_wrong_code(enroll, otpctl):
    enrolled = enroll("--no-rate-limit")
    assert otpctl("verify", enrolled.name, wrong_totp_code(pyotp.TOTP(enrolled.file.secret))).returncode != EXIT_OK
    assert otpctl("unlock", enrolled.name).stdout == f"Unlocked {enrolled.name}: cleared 1 wrong code in a row.\n"
