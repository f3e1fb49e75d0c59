"""otpctl, run as a program: with --json, a failure is one JSON object on
standard output, {"error", "exit_code", "meaning"} (and "advice"), for
every command that takes --json (enroll, status), usage errors included."""

import json

import pytest

from otpctl_support import (
    DEFAULT_DIRECTORY,
    EXIT_DATA,
    EXIT_EXISTS,
    EXIT_NOT_ENROLLED,
    EXIT_OK,
    EXIT_PERMISSION,
    EXIT_UNKNOWN_USER,
    EXIT_USAGE,
    assert_fails,
)

MEANINGS = {
    EXIT_USAGE: "usage error", EXIT_DATA: "malformed or unsafe secret file", EXIT_NOT_ENROLLED: "not enrolled",
    EXIT_UNKNOWN_USER: "unknown user", EXIT_EXISTS: "a secret file exists already", EXIT_PERMISSION: "permission denied",
}


def assert_json_error(result, code, *fragments):
    """The exit code, nothing on stderr, and on stdout exactly one JSON
    object that names the code and its meaning."""
    report = f"exit {result.returncode} (expected {code})\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == code, report
    assert result.stderr == "", report
    assert result.stdout.count("\n") == 1 and result.stdout.endswith("\n"), report
    error = json.loads(result.stdout)
    assert set(error) <= {"error", "exit_code", "meaning", "advice"}, report
    assert (error["exit_code"], error["meaning"]) == (code, MEANINGS[code]), report
    assert "\n" not in error["error"], report
    for fragment in fragments:
        assert fragment in error["error"] + error.get("advice", ""), f"{fragment!r} missing\n{report}"
    return error


def test_unknown_user(otpctl):
    assert_json_error(otpctl("status", "nosuchuser-otpctl", "--json"), EXIT_UNKNOWN_USER, "nosuchuser-otpctl")
    assert_json_error(otpctl("enroll", "nosuchuser-otpctl", "--json", "--qr", "none"), EXIT_UNKNOWN_USER)


def test_not_enrolled(users, otpctl):
    account = users.create()
    assert_json_error(otpctl("status", account.pw_name, "--json"), EXIT_NOT_ENROLLED, "not enrolled")


def test_malformed_file(users, otpctl):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    path.write_bytes(b"NOT*BASE32!\n")
    path.chmod(0o600)
    assert_json_error(otpctl("status", account.pw_name, "--json"), EXIT_DATA, str(path), "line 1")


def test_enrolled_already_keeps_the_advice_apart(enroll, otpctl):
    enrolled = enroll()
    error = assert_json_error(otpctl("enroll", enrolled.name, "--json", "--qr", "none"), EXIT_EXISTS, "--force")
    assert str(enrolled.path) in error["error"]


def test_another_users_secret(users, otpctl):
    actor, other = users.create(), users.create()
    result = otpctl("status", other.pw_name, "--json", user=actor.pw_name)
    assert_json_error(result, EXIT_PERMISSION, "only root", other.pw_name)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        (["enroll", "--digits", "9", "--json"], "--digits must be 6, 7 or 8"),
        (["enroll", "--json", "--no-such-option"], "--no-such-option"),
        (["status", "--json", "--sort", "user"], "--sort needs --all"),
        (["status", "--all", "--json", "--prometheus"], "exclude each other"),
        (["status", "--all", "--sort", "age", "--json"], "age"),
    ],
    ids=["validation", "unknown-option", "needs-all", "two-formats", "bad-sort-key"],
)
def test_usage_errors_found_while_parsing(otpctl, arguments, fragment):
    assert_json_error(otpctl(*arguments), EXIT_USAGE, fragment)


def test_without_json_errors_stay_text(users, otpctl):
    assert_fails(otpctl("status", "nosuchuser-otpctl"), EXIT_UNKNOWN_USER, "nosuchuser-otpctl")
    assert_fails(otpctl("enroll", "--digits", "9"), EXIT_USAGE, "--digits")


def test_help_is_still_help(otpctl):
    result = otpctl("status", "--json", "--help")
    assert result.returncode == EXIT_OK and "USAGE: otpctl status" in result.stdout, result
