"""otpctl, run as a program: status, revoke."""

import json
import subprocess

from otpctl_support import (
    EXIT_NOT_ENROLLED,
    EXIT_OK,
    SecretFileText,
    assert_fails,
    assert_no_secret,
    home_file,
    oathtool_totp,
)


def test_status_text(enroll, otpctl):
    enrolled = enroll()
    result = otpctl("status", enrolled.name)
    assert result.returncode == EXIT_OK, result.stderr
    text = result.stdout
    for expected in (enrolled.name, str(enrolled.path), "TOTP, every 30 s", "SHA1, 6 digits", "3 codes",
                     "refused", "3 per 30 s", "5 left"):
        assert expected in text, f"{expected!r} missing:\n{text}"
    assert_no_secret(text, enrolled.file)


def test_status_json_for_totp(enroll, otpctl):
    enrolled = enroll()
    status = json.loads(otpctl("status", enrolled.name, "--json").stdout)
    assert status == {
        "user": enrolled.name, "secret_file": str(enrolled.path), "type": "totp", "algorithm": "SHA1",
        "digits": 6, "window": 3, "disallow_reuse": True, "scratch_codes_left": 5, "period": 30,
        "time_skew": 0, "rate_limit": {"attempts": 3, "seconds": 30, "recent_attempts": 0}, "failures": 0, "deliver": None,
        "last_failure": None, "backoff_until": None, "backoff_source": None, "last_success": None,
    }
    scratch = enrolled.file.scratch_codes[0]
    assert otpctl("verify", enrolled.name, scratch).returncode == EXIT_OK
    result = otpctl("status", enrolled.name, "--json")
    status = json.loads(result.stdout)
    assert status["scratch_codes_left"] == 4
    assert status["rate_limit"]["recent_attempts"] == 1
    assert_no_secret(result.stdout, enrolled.file)


def test_status_json_for_hotp_without_rate_limit(enroll, otpctl):
    enrolled = enroll("--hotp", "--no-rate-limit", "--algorithm", "SHA512", "--digits", "8", "--window", "7")
    result = otpctl("status", enrolled.name, "--json")
    assert json.loads(result.stdout) == {
        "user": enrolled.name, "secret_file": str(enrolled.path), "type": "hotp", "algorithm": "SHA512",
        "digits": 8, "window": 7, "disallow_reuse": False, "scratch_codes_left": 5, "counter": 1,
        "rate_limit": None, "failures": 0, "deliver": None, "last_failure": None, "backoff_until": None,
        "backoff_source": None, "last_success": None,
    }
    assert_no_secret(result.stdout, enrolled.file)
    text = otpctl("status", enrolled.name).stdout
    assert "HOTP, next counter 1" in text and "rate limit:      none" in text
    assert_no_secret(text, enrolled.file)


def test_status_reads_a_google_authenticator_file(users, otpctl):
    # A file from GA's own enrolment tool, used as GA's module would find it.
    account = users.create()
    path = home_file(account)
    subprocess.run(
        ["runuser", "-u", account.pw_name, "--", "google-authenticator", "-t", "-d", "-r", "3", "-R", "30",
         "-w", "5", "-S", "60", "-e", "4", "-C", "-f", "-q", "-Q", "NONE", "-s", str(path)],
        check=True, capture_output=True,
    )
    arguments = ("--secret-file", "~/.google_authenticator")
    status = json.loads(otpctl("status", account.pw_name, "--json", *arguments).stdout)
    assert (status["type"], status["window"], status["period"], status["scratch_codes_left"]) == ("totp", 5, 60, 4)
    secret = SecretFileText.read(path).secret
    assert otpctl("code", account.pw_name, "--at", 1_234_567_890, *arguments).stdout.strip() == oathtool_totp(
        secret, 1_234_567_890, step=60
    )


# --- revoke --------------------------------------------------------------------------


def test_revoke_removes_the_secret(enroll, otpctl):
    enrolled = enroll()
    result = otpctl("revoke", enrolled.name, "--yes")
    assert result.returncode == EXIT_OK, result.stderr
    assert not enrolled.path.exists()
    assert_fails(otpctl("status", enrolled.name), EXIT_NOT_ENROLLED, "not enrolled")
    assert_fails(otpctl("revoke", enrolled.name, "--yes"), EXIT_NOT_ENROLLED, "not enrolled")


def test_user_revokes_their_home_file(users, otpctl):
    account = users.create()
    arguments = ("--secret-file", "~/.google_authenticator")
    assert otpctl("enroll", "--qr", "none", *arguments, user=account.pw_name).returncode == EXIT_OK
    result = otpctl("revoke", account.pw_name, "--yes", *arguments, user=account.pw_name)
    assert result.returncode == EXIT_OK, result.stderr
    assert not home_file(account).exists()
