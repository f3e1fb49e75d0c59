"""otpctl, run as a program: permissions, failures and exit codes."""

import os
import subprocess

import pytest

from otpctl_support import (
    DEFAULT_DIRECTORY,
    EXIT_DATA,
    EXIT_IO,
    EXIT_NOT_ENROLLED,
    EXIT_OK,
    EXIT_PERMISSION,
    EXIT_UNKNOWN_USER,
    EXIT_USAGE,
    assert_fails,
    assert_no_secret,
)


def test_user_cannot_enrol_at_the_default_location(users, otpctl):
    account = users.create()
    result = otpctl("enroll", "--qr", "none", user=account.pw_name)
    assert_fails(
        result, EXIT_PERMISSION, str(DEFAULT_DIRECTORY), "sudo otpctl enroll " + account.pw_name,
        "--secret-file ~/.google_authenticator",
    )
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


def run_with_empty_var_lib(script):
    """Runs a shell script in a private mount namespace whose /var/lib is an
    empty tmpfs: a machine where otpctl has never run. Nothing leaks out."""
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               "mount -t tmpfs -o mode=0755 tmpfs /var/lib || exit 99\n" + script]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode == 99:
        pytest.skip(f"cannot make a private /var/lib here: {result.stderr.strip()}")
    return result


def test_root_creates_the_default_directory(users, otpctl_path):
    account = users.create()
    result = run_with_empty_var_lib(
        f"{otpctl_path} enroll {account.pw_name} --qr none >/dev/null || exit 1\n"
        f"stat -c '%a %u %g %F' /var/lib/pam_otp /var/lib/pam_otp/{account.pw_name}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["700 0 0 directory", "600 0 0 regular file"]


def test_user_cannot_enrol_where_the_default_directory_is_missing(users, otpctl_path):
    account = users.create()
    result = run_with_empty_var_lib(
        f"runuser -u {account.pw_name} -- {otpctl_path} enroll --qr none; echo \"exit $?\" >&2"
    )
    assert result.stderr.rstrip().endswith(f"exit {EXIT_PERMISSION}"), result.stderr
    assert "--secret-file ~/.google_authenticator" in result.stderr
    assert result.stdout == "", "a secret was shown although it could not be saved"


@pytest.mark.parametrize(
    "command",
    [["enroll", "--qr", "none"], ["enroll", "--qr", "none", "--secret-file", "/tmp/x"], ["code"], ["status"],
     ["uri"], ["qr"], ["verify", "123456"], ["revoke"]],
    ids=lambda command: " ".join(command),
)
def test_user_cannot_act_for_another_user(users, otpctl, command):
    actor, other = users.create(), users.create()
    arguments = [command[0], other.pw_name, *command[1:]]
    assert_fails(otpctl(*arguments, user=actor.pw_name), EXIT_PERMISSION, "only root", other.pw_name)


def test_user_cannot_read_their_root_owned_secret(enroll, otpctl):
    # The default secret file is root's: a stolen shell of the user must not
    # read it, or it could mint codes for sudo.
    enrolled = enroll()
    for command in (["code"], ["uri"], ["status"], ["qr"]):
        result = otpctl(*command, user=enrolled.name)
        assert_fails(result, EXIT_PERMISSION, str(DEFAULT_DIRECTORY))
        assert_no_secret(result.stderr, enrolled.file)


# --- failures and exit codes ---------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["enroll"], ["code"], ["verify", "123456"], ["uri"], ["qr"], ["status"], ["revoke"]],
    ids=lambda command: command[0],
)
def test_unknown_user(otpctl, command):
    result = otpctl(command[0], "nosuchuser-otpctl", *command[1:])
    assert_fails(result, EXIT_UNKNOWN_USER, "nosuchuser-otpctl")


@pytest.mark.parametrize("name", ["../etc", ".hidden", "a/b", "tab\tname"])
def test_invalid_user_name_is_a_usage_error(otpctl, name):
    assert_fails(otpctl("status", name), EXIT_USAGE, "invalid user name")


@pytest.mark.parametrize(
    "command", [["code"], ["verify", "123456"], ["uri"], ["qr"], ["status"], ["revoke"]], ids=lambda c: c[0]
)
def test_not_enrolled(users, otpctl, command):
    account = users.create()
    assert_fails(otpctl(command[0], account.pw_name, *command[1:]), EXIT_NOT_ENROLLED, "not enrolled")


SECRET = b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # RFC 4648 Base32 of "Hello!\xde\xad\xbe\xef" twice


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"NOT*BASE32!\n", "line 1"),
        (b"JBSWY3DP\n", "line 1"),  # 40 bits; RFC 4226 asks for at least 128, otpctl for 80
        (SECRET + b'\n" TOTP_AUTH\n" BOGUS 1\n', "line 3"),
        (SECRET + b'\n" WINDOW_SIZE 0\n', "line 2"),
        (SECRET + b'\n" TOTP_AUTH\n" TOTP_AUTH\n', "line 3"),
        (SECRET + b'\n" TOTP_AUTH\n" HOTP_COUNTER 1\n', "TOTP_AUTH and HOTP_COUNTER"),
        (SECRET + b'\n" TOTP_AUTH\n1234567\n', "line 3"),
        (SECRET + b'\n" TOTP_AUTH\n12345678\n12345678\n', "line 4"),
        (SECRET + b'\n" TOTP_AUTH\x00\n', "NUL"),
        (SECRET + b'\n" TOTP_AUTH\n" DIGITS 9\n', "line 3"),
        (SECRET + b'\n" TOTP_AUTH\n" ALGORITHM MD5\n', "line 3"),
    ],
    ids=["empty", "bad-base32", "short-secret", "unknown-option", "bad-window", "duplicate-option",
         "both-modes", "short-scratch-code", "duplicate-scratch-code", "nul", "bad-digits", "bad-algorithm"],
)
def test_malformed_secret_file(users, otpctl, content, fragment):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    path.write_bytes(content)
    path.chmod(0o600)
    for command in (["code"], ["status"], ["verify", "123456"]):
        result = otpctl(command[0], account.pw_name, *command[1:])
        assert_fails(result, EXIT_DATA, str(path), fragment)
        assert SECRET.decode() not in result.stderr
    assert path.read_bytes() == content


def make_unsafe(kind, path, account, victim):
    """Puts something at the secret path that the store must refuse."""
    if kind == "symlink":
        path.symlink_to(victim)
    elif kind == "group-readable":
        path.write_bytes(victim.read_bytes())
        path.chmod(0o640)
    elif kind == "foreign-owner":
        path.write_bytes(victim.read_bytes())
        path.chmod(0o600)
        os.chown(path, 65534, 65534)  # nobody: neither root nor the user
    elif kind == "hard-link":
        path.write_bytes(victim.read_bytes())
        path.chmod(0o600)
        os.link(path, path.with_name(path.name + ".link"))
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "too-large":
        path.write_bytes(victim.read_bytes() + b"\n" * (64 * 1024))
        path.chmod(0o600)


@pytest.mark.parametrize(
    "kind, fragment",
    [("symlink", "symbolic link"), ("group-readable", "0640"), ("foreign-owner", "owned by uid 65534"),
     ("hard-link", "hard links"), ("fifo", "not a regular file"), ("too-large", "larger than")],
)
def test_unsafe_secret_file(users, otpctl, scratch_dir, kind, fragment):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    victim = scratch_dir / "valid-secret"
    victim.write_bytes(SECRET + b'\n" TOTP_AUTH\n')
    victim.chmod(0o600)
    try:
        make_unsafe(kind, path, account, victim)
        for command in (["code"], ["status"], ["uri"], ["verify", "123456"]):
            result = otpctl(command[0], account.pw_name, *command[1:])
            assert_fails(result, EXIT_DATA, str(path), fragment)
            assert SECRET.decode() not in result.stderr + result.stdout
    finally:
        path.with_name(path.name + ".link").unlink(missing_ok=True)
        if kind == "fifo":
            path.unlink(missing_ok=True)
    assert victim.read_bytes() == SECRET + b'\n" TOTP_AUTH\n'


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        (["--digits", "9"], "--digits"),
        (["--period", "0"], "--period"),
        (["--period", "301"], "--period"),
        (["--window", "0"], "--window"),
        (["--rate-limit", "0/30"], "--rate-limit"),
        (["--rate-limit", "3/30", "--no-rate-limit"], "--no-rate-limit"),
        (["--totp", "--hotp"], "--hotp"),
        (["--hotp", "--allow-reuse"], "--allow-reuse"),
        (["--hotp", "--period", "60"], "--period"),
        (["--scratch-codes", "101"], "--scratch-codes"),
        (["--algorithm", "MD5"], "--algorithm"),
        (["--qr", "sixel"], "--qr"),
        (["--no-such-option"], "--no-such-option"),
        (["--secret-file", "/home/../etc/otp"], "invalid path"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bad_enroll_options(users, otpctl, arguments, fragment):
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", *arguments)
    assert_fails(result, EXIT_USAGE, fragment)
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


@pytest.mark.parametrize(
    "arguments", [["code", "--at", "soon"], ["verify"], ["revoke"], ["qr", "--png"], ["frobnicate"], ["status", "--x"]],
    ids=lambda arguments: " ".join(arguments),
)
def test_bad_command_lines(otpctl, arguments):
    assert_fails(otpctl(*arguments), EXIT_USAGE)


def test_unwritable_png_is_an_io_error_and_nothing_is_enrolled(users, otpctl):
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", "--qr-png", "/nonexistent-otpctl/qr.png")
    assert_fails(result, EXIT_IO, "/nonexistent-otpctl/qr.png")
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


def test_missing_secret_file_directory_fails_before_showing_a_secret(users, otpctl):
    # Nothing can be saved there, so no secret may be shown (the user would
    # scan one that never becomes active), and "not enrolled" (66) is not
    # what went wrong: the file cannot be created (74, I/O).
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", "--secret-file", "/nonexistent-otpctl/dir/otp")
    assert_fails(result, EXIT_IO, "/nonexistent-otpctl")


def test_uri_too_long_for_a_qr_code_is_a_usage_error(users, otpctl):
    # A label no QR code can hold is a bad option (64), not a malformed
    # secret file (65); and nothing is shown or written.
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--label", "x" * 3000)
    assert_fails(result, EXIT_USAGE, "too long")
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


def test_help_documents_the_exit_codes(otpctl):
    result = otpctl("--help")
    assert result.returncode == EXIT_OK
    text = " ".join(result.stdout.split())
    for documented in ("1 code refused", "64 usage error", "65 malformed or unsafe secret file", "66 not enrolled",
                       "67 unknown user", "73 a secret file exists", "74 input/output error", "77 permission denied"):
        assert documented in text
