"""otpctl, run as a program: code, verify."""

import os
import stat
import subprocess
import time

import pyotp
import pytest

from otpctl_support import (
    EXIT_DATA,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    SecretFileText,
    assert_fails,
    home_file,
    now_step,
    oathtool_hotp,
    oathtool_totp,
    wrong_totp_code,
)


TIMES = [0, 59, 1_111_111_109, 1_234_567_890, 2_000_000_000, 20_000_000_000]  # RFC 6238 Appendix B times and later


@pytest.mark.parametrize(
    "algorithm, digits, period",
    [("SHA1", 6, 30), ("SHA1", 8, 30), ("SHA256", 6, 30), ("SHA256", 7, 60), ("SHA512", 8, 30),
     ("SHA512", 6, 1), ("SHA1", 6, 300), ("SHA256", 8, 17)],
)
def test_code_at_a_time_matches_oathtool(enroll, otpctl, algorithm, digits, period):
    enrolled = enroll("--algorithm", algorithm, "--digits", digits, "--period", period)
    secret = enrolled.file.secret
    for at in TIMES + [int(time.time())]:
        result = otpctl("code", enrolled.name, "--at", at)
        assert result.returncode == EXIT_OK, result.stderr
        assert result.stdout == oathtool_totp(secret, at, algorithm, digits, period) + "\n", at


@pytest.mark.parametrize("at", ["-9223372036854775808", "9223372036854775807", "-1", "1000000000000"])
def test_code_at_a_time_no_secret_file_holds_is_a_usage_error(enroll, otpctl, at):
    # With 1 s steps and a skew, the largest time once overflowed the step
    # arithmetic: a crash (SIGILL) instead of an error.
    enrolled = enroll("--period", "1")
    add_time_skew(enrolled, 5)
    assert_fails(otpctl("code", enrolled.name, f"--at={at}"), EXIT_USAGE, "--at must be a time between 0 and 999999999999")


def add_time_skew(enrolled, skew):
    lines = enrolled.path.read_bytes().split(b"\n")
    lines.insert(1, b'" TIME_SKEW %d' % skew)
    enrolled.path.write_bytes(b"\n".join(lines))


def test_code_at_the_last_time_with_the_largest_skew_matches_oathtool(enroll, otpctl):
    enrolled = enroll()
    add_time_skew(enrolled, 1_000_000)
    at = 999_999_999_999
    result = otpctl("code", enrolled.name, "--at", at)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == oathtool_totp(enrolled.file.secret, (at // 30 + 1_000_000) * 30) + "\n"


def test_code_before_the_first_step_is_an_error(enroll, otpctl):
    enrolled = enroll()
    add_time_skew(enrolled, -1_000_000)
    assert_fails(otpctl("code", enrolled.name, "--at", 0), EXIT_DATA, "before the first code")


def test_code_without_a_time_is_the_current_code(enroll, otpctl):
    enrolled = enroll()
    otp = pyotp.TOTP(enrolled.file.secret)
    before = time.time()
    result = otpctl("code", enrolled.name)
    after = time.time()
    assert result.stdout.strip() in {otp.at(before), otp.at(after)}


def test_hotp_code_is_the_next_counter_and_consumes_nothing(enroll, otpctl):
    enrolled = enroll("--hotp", "--digits", "8")
    secret = enrolled.file.secret
    first = otpctl("code", enrolled.name).stdout.strip()
    assert first == oathtool_hotp(secret, 1, digits=8)
    assert otpctl("code", enrolled.name).stdout.strip() == first
    assert enrolled.file.option("HOTP_COUNTER") == ["1"]


# --- verify ------------------------------------------------------------------------


def test_verify_accepts_a_totp_code_once(enroll, otpctl):
    enrolled = enroll()
    code = oathtool_totp(enrolled.file.secret, int(time.time()))
    accepted = otpctl("verify", enrolled.name, code)
    assert accepted.returncode == EXIT_OK, accepted.stderr
    assert accepted.stdout.startswith("accepted")
    assert_fails(otpctl("verify", enrolled.name, code), EXIT_REFUSED, "refused", "already used")
    used = {int(step) for step in enrolled.file.option("DISALLOW_REUSE")}
    assert used & {now_step() - 1, now_step()}


def test_concurrent_verifies_accept_a_code_once(enroll, otpctl_path):
    # The file is locked while a code is checked and the used step recorded, so
    # two concurrent checks can never both accept the same TOTP step.
    enrolled = enroll("--no-rate-limit")
    code = oathtool_totp(enrolled.file.secret, int(time.time()))
    processes = [
        subprocess.Popen([str(otpctl_path), "verify", enrolled.name, code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [(process.wait(timeout=30), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert sorted(status for status, _ in results) == [EXIT_OK] + [EXIT_REFUSED] * 7, results
    # Replays count as wrong codes: after three, the back-off refuses the rest.
    assert all("already used" in error or "back-off" in error for status, error in results if status == EXIT_REFUSED), results


def test_verify_refuses_a_wrong_code(enroll, otpctl):
    enrolled = enroll()
    wrong = wrong_totp_code(pyotp.TOTP(enrolled.file.secret))
    assert_fails(otpctl("verify", enrolled.name, wrong), EXIT_REFUSED, "refused", "wrong code")
    assert_fails(otpctl("verify", enrolled.name, "12ab56"), EXIT_REFUSED, "refused")


def test_allow_reuse_accepts_a_code_twice(enroll, otpctl):
    enrolled = enroll("--allow-reuse", "--no-rate-limit")
    code = oathtool_totp(enrolled.file.secret, int(time.time()))
    assert otpctl("verify", enrolled.name, code).returncode == EXIT_OK
    assert otpctl("verify", enrolled.name, code).returncode == EXIT_OK


def test_scratch_codes_work_once(enroll, otpctl):
    enrolled = enroll("--no-rate-limit")
    codes = enrolled.file.scratch_codes
    accepted = otpctl("verify", enrolled.name, codes[0])
    assert accepted.returncode == EXIT_OK, accepted.stderr
    assert "scratch code" in accepted.stdout
    assert enrolled.file.scratch_codes == codes[1:]
    assert_fails(otpctl("verify", enrolled.name, codes[0]), EXIT_REFUSED, "refused")
    assert otpctl("verify", enrolled.name, codes[3]).returncode == EXIT_OK
    assert enrolled.file.scratch_codes == [codes[1], codes[2], codes[4]]


def test_hotp_counter_advances(enroll, otpctl):
    enrolled = enroll("--hotp", "--no-rate-limit")
    secret = enrolled.file.secret
    assert otpctl("verify", enrolled.name, oathtool_hotp(secret, 1)).returncode == EXIT_OK
    assert enrolled.file.option("HOTP_COUNTER") == ["2"]
    assert_fails(otpctl("verify", enrolled.name, oathtool_hotp(secret, 1)), EXIT_REFUSED, "refused")
    # Window 3 from counter 2: 2, 3 and 4; a match moves the counter past it.
    assert otpctl("verify", enrolled.name, oathtool_hotp(secret, 4)).returncode == EXIT_OK
    assert enrolled.file.option("HOTP_COUNTER") == ["5"]
    assert otpctl("code", enrolled.name).stdout.strip() == oathtool_hotp(secret, 5)
    assert_fails(otpctl("verify", enrolled.name, oathtool_hotp(secret, 9)), EXIT_REFUSED, "wrong code")


def test_rate_limit_refuses_further_attempts(enroll, otpctl):
    enrolled = enroll("--rate-limit", "2/60")
    file = enrolled.file
    wrong = wrong_totp_code(pyotp.TOTP(file.secret))
    for _ in range(2):
        assert_fails(otpctl("verify", enrolled.name, wrong), EXIT_REFUSED, "wrong code")
    right = oathtool_totp(file.secret, int(time.time()))
    assert_fails(otpctl("verify", enrolled.name, right), EXIT_REFUSED, "rate limit")
    assert len(enrolled.file.option("RATE_LIMIT")) >= 4  # 2 60 and the attempt times


def test_no_rate_limit_allows_many_attempts(enroll, otpctl):
    # Five attempts within seconds; the default limit (3 per 30 s) would
    # refuse the fourth. Two wrong codes stay below the back-off (three).
    enrolled = enroll("--no-rate-limit", "--allow-reuse")
    wrong = wrong_totp_code(pyotp.TOTP(enrolled.file.secret))
    for _ in range(2):
        assert_fails(otpctl("verify", enrolled.name, wrong), EXIT_REFUSED, "wrong code")
    for _ in range(3):
        right = oathtool_totp(enrolled.file.secret, int(time.time()))
        assert otpctl("verify", enrolled.name, right).returncode == EXIT_OK


def test_verify_with_only_a_code_checks_the_callers_own(users, otpctl):
    # Verify.swift: "`verify CODE` means the caller's own code: one argument is the code."
    account = users.create()
    arguments = ("--secret-file", "~/.google_authenticator")
    assert otpctl("enroll", "--qr", "none", *arguments, user=account.pw_name).returncode == EXIT_OK
    code = oathtool_totp(SecretFileText.read(home_file(account)).secret, int(time.time()))
    result = otpctl("verify", code, *arguments, user=account.pw_name)
    assert result.returncode == EXIT_OK, result.stderr


def test_verify_keeps_the_home_files_owner_and_mode(users, otpctl):
    account = users.create()
    arguments = ("--secret-file", "~/.google_authenticator")
    assert otpctl("enroll", account.pw_name, "--qr", "none", *arguments).returncode == EXIT_OK
    code = oathtool_totp(SecretFileText.read(home_file(account)).secret, int(time.time()))
    assert otpctl("verify", account.pw_name, code, *arguments).returncode == EXIT_OK
    info = os.lstat(home_file(account))
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (account.pw_uid, 0o400)
    assert SecretFileText.read(home_file(account)).option("DISALLOW_REUSE") != []
