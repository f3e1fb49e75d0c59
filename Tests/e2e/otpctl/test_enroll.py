"""otpctl, run as a program: enrolment at the default location, --secret-file, overwriting, --json, --confirm."""

import json
import os
import re
import socket
import stat
from urllib.parse import parse_qs, urlsplit

import pexpect
import pyotp
import pytest

from otpctl_support import (
    BASE32_STRICT,
    DEFAULT_DIRECTORY,
    DEFAULT_OPTION_LINES,
    EXIT_EXISTS,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    SCRATCH_CODE,
    SecretFileText,
    assert_fails,
    group_key,
    home_file,
    now_step,
    oathtool_totp,
    wrong_totp_code,
)
from qr_decode import decode_terminal_qr


def test_root_enrols_a_user_into_a_root_only_file(users, otpctl):
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none")
    assert result.returncode == EXIT_OK, result.stderr
    info = os.lstat(DEFAULT_DIRECTORY / account.pw_name)
    assert stat.S_ISREG(info.st_mode)
    assert (info.st_uid, info.st_gid) == (0, 0)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_nlink == 1
    directory = os.lstat(DEFAULT_DIRECTORY)
    assert stat.S_ISDIR(directory.st_mode)
    assert (directory.st_uid, stat.S_IMODE(directory.st_mode)) == (0, 0o700)


def test_default_file_is_what_google_authenticator_writes(enroll):
    # GA's format; SHA1/6 digits written without DIGITS/ALGORITHM lines, so
    # GA's own module reads it.
    file = enroll().file
    assert BASE32_STRICT.match(file.secret)
    assert len(file.secret_bytes) == 20
    assert file.option_lines == DEFAULT_OPTION_LINES
    assert len(file.scratch_codes) == 5
    assert all(SCRATCH_CODE.match(code) for code in file.scratch_codes), file.scratch_codes
    assert len(set(file.scratch_codes)) == 5


def test_enrolment_text_shows_key_uri_and_scratch_codes(enroll):
    enrolled = enroll()
    output, file = enrolled.result.stdout, enrolled.file
    assert f"Or enter the key by hand: {group_key(file.secret)}" in output
    uri = re.search(r"^URI: (\S+)$", output, re.M).group(1)
    assert parse_qs(urlsplit(uri).query)["secret"] == [file.secret]
    for code in file.scratch_codes:
        assert re.search(rf"^\s+{code}$", output, re.M), code
    assert str(enrolled.path) in output


@pytest.mark.parametrize(
    "algorithm, length, line",
    [("SHA1", 20, None), ("SHA256", 32, ["SHA256"]), ("SHA512", 64, ["SHA512"]), ("sha256", 32, ["SHA256"])],
)
def test_secret_is_as_long_as_the_hash(enroll, algorithm, length, line):
    # RFC 4226 section 4 / RFC 6238 Appendix B: a key as long as the HMAC output.
    file = enroll("--algorithm", algorithm).file
    assert len(file.secret_bytes) == length
    assert file.option("ALGORITHM") == line


@pytest.mark.parametrize(
    "options, lines",
    [
        ([], DEFAULT_OPTION_LINES),
        (["--hotp"], ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 3', '" HOTP_COUNTER 1']),
        (["--digits", "8"], DEFAULT_OPTION_LINES + ['" DIGITS 8']),
        (["--digits", "7", "--algorithm", "SHA256"], DEFAULT_OPTION_LINES + ['" DIGITS 7', '" ALGORITHM SHA256']),
        (["--period", "60"], ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 3', '" STEP_SIZE 60', '" DISALLOW_REUSE', '" TOTP_AUTH']),
        (["--period", "30"], DEFAULT_OPTION_LINES),
        (["--window", "17"], ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 17', '" DISALLOW_REUSE', '" TOTP_AUTH']),
        (["--rate-limit", "5/60"], ['" RATE_LIMIT 5 60', '" WINDOW_SIZE 3', '" DISALLOW_REUSE', '" TOTP_AUTH']),
        (["--no-rate-limit"], DEFAULT_OPTION_LINES[1:]),
        (["--allow-reuse"], ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 3', '" TOTP_AUTH']),
        (["--totp", "--allow-reuse", "--no-rate-limit", "--period", "1"], ['" WINDOW_SIZE 3', '" STEP_SIZE 1', '" TOTP_AUTH']),
        (
            ["--hotp", "--window", "10", "--no-rate-limit", "--digits", "8", "--algorithm", "SHA512"],
            ['" WINDOW_SIZE 10', '" HOTP_COUNTER 1', '" DIGITS 8', '" ALGORITHM SHA512'],
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and value and value[0].startswith("-") else None,
)
def test_enroll_options_become_option_lines(enroll, options, lines):
    # Order: GA's (RATE_LIMIT, WINDOW_SIZE, STEP_SIZE, DISALLOW_REUSE, mode), then the extensions.
    assert enroll(*options).file.option_lines == lines


@pytest.mark.parametrize("count", [0, 1, 12, 100])
def test_scratch_code_count(enroll, count):
    codes = enroll("--scratch-codes", count).file.scratch_codes
    assert len(codes) == count
    assert len(set(codes)) == count
    assert all(SCRATCH_CODE.match(code) for code in codes)


def test_issuer_and_label_default_to_host_and_user(enroll):
    enrolled = enroll("--json")
    otp = pyotp.parse_uri(json.loads(enrolled.result.stdout)["uri"])
    assert otp.issuer == socket.gethostname()
    assert otp.name == enrolled.name


def test_issuer_and_label_options_reach_the_uri(enroll):
    enrolled = enroll("--json", "--issuer", "Example Co", "--label", "bob@example.com")
    otp = pyotp.parse_uri(json.loads(enrolled.result.stdout)["uri"])
    assert (otp.issuer, otp.name) == ("Example Co", "bob@example.com")


def test_qr_none_prints_no_qr_code(enroll):
    output = enroll().result.stdout  # the fixture passes --qr none
    assert not set("\u2580\u2584\u2588") & set(output)
    assert "\x1b[" not in output


def test_terminal_qr_is_the_default(users, otpctl, scratch_dir):
    account = users.create()
    result = otpctl("enroll", account.pw_name)
    assert result.returncode == EXIT_OK, result.stderr
    uri = re.search(r"^URI: (\S+)$", result.stdout, re.M).group(1)
    assert decode_terminal_qr(result.stdout, scratch_dir) == [uri]


# --- --secret-file in the user's home ----------------------------------------


def test_root_enrols_into_the_users_home_file(users, otpctl):
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", "--secret-file", "~/.google_authenticator")
    assert result.returncode == EXIT_OK, result.stderr
    path = home_file(account)
    assert str(path) in result.stdout
    info = os.lstat(path)
    assert (info.st_uid, info.st_gid) == (account.pw_uid, account.pw_gid)
    assert stat.S_IMODE(info.st_mode) == 0o400
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


def test_secret_file_expands_user_and_home(users, otpctl):
    # `~`, ${USER} and ${HOME} expand as in the module's secret= option.
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", "--secret-file", "${HOME}/.otp-${USER}")
    assert result.returncode == EXIT_OK, result.stderr
    assert home_file(account, f".otp-{account.pw_name}").is_file()


def test_user_enrols_themselves_in_their_home(users, otpctl):
    account = users.create()
    result = otpctl("enroll", "--qr", "none", "--secret-file", "~/.google_authenticator", user=account.pw_name)
    assert result.returncode == EXIT_OK, result.stderr
    info = os.lstat(home_file(account))
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (account.pw_uid, 0o400)
    # ...and can use it without root.
    file = SecretFileText.read(home_file(account))
    status = otpctl("status", "--json", "--secret-file", "~/.google_authenticator", user=account.pw_name)
    assert status.returncode == EXIT_OK, status.stderr
    assert json.loads(status.stdout)["user"] == account.pw_name
    code = otpctl("code", "--secret-file", "~/.google_authenticator", "--at", 1_700_000_000, user=account.pw_name)
    assert code.stdout.strip() == oathtool_totp(file.secret, 1_700_000_000)


# --- overwriting -------------------------------------------------------------


def test_existing_secret_is_not_replaced_without_force(enroll, otpctl):
    enrolled = enroll()
    before, info = enrolled.path.read_bytes(), os.lstat(enrolled.path)
    result = otpctl("enroll", enrolled.name, "--qr", "none")
    assert_fails(result, EXIT_EXISTS, "--force")
    assert enrolled.path.read_bytes() == before
    after = os.lstat(enrolled.path)
    assert (after.st_ino, after.st_mtime_ns) == (info.st_ino, info.st_mtime_ns)


def test_force_replaces_the_secret(enroll, otpctl):
    enrolled = enroll()
    old = enrolled.file
    result = otpctl("enroll", enrolled.name, "--qr", "none", "--force", "--digits", "8")
    assert result.returncode == EXIT_OK, result.stderr
    new = enrolled.file
    assert new.secret != old.secret
    assert not set(new.scratch_codes) & set(old.scratch_codes)
    assert new.option("DIGITS") == ["8"]
    info = os.lstat(enrolled.path)
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)


def test_home_file_is_not_replaced_without_force(users, otpctl):
    account = users.create()
    arguments = ("enroll", "--qr", "none", "--secret-file", "~/.google_authenticator")
    assert otpctl(*arguments, user=account.pw_name).returncode == EXIT_OK
    before = home_file(account).read_bytes()
    assert_fails(otpctl(*arguments, user=account.pw_name), EXIT_EXISTS, "--force")
    assert home_file(account).read_bytes() == before
    assert otpctl(*arguments, "--force", user=account.pw_name).returncode == EXIT_OK
    assert home_file(account).read_bytes() != before


def test_force_replaces_a_malformed_file(users, otpctl):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    path.write_bytes(b"not a secret file\n")
    path.chmod(0o600)
    assert_fails(otpctl("enroll", account.pw_name, "--qr", "none"), EXIT_EXISTS, "--force")
    assert path.read_bytes() == b"not a secret file\n"
    assert otpctl("enroll", account.pw_name, "--qr", "none", "--force").returncode == EXIT_OK
    assert SecretFileText.read(path).option_lines == DEFAULT_OPTION_LINES


def test_force_replaces_a_symlink_without_following_it(users, otpctl, scratch_dir):
    # pam_oath's CVE-2024-47191: a symlink at the secret path must never
    # make root write through it.
    account = users.create()
    victim = scratch_dir / "victim"
    victim.write_text("precious\n")
    path = DEFAULT_DIRECTORY / account.pw_name
    path.symlink_to(victim)
    assert_fails(otpctl("enroll", account.pw_name, "--qr", "none"), EXIT_EXISTS, "symbolic link")
    assert otpctl("enroll", account.pw_name, "--qr", "none", "--force").returncode == EXIT_OK
    assert victim.read_text() == "precious\n"
    assert not path.is_symlink() and path.is_file()


# --- --json --------------------------------------------------------------------


@pytest.mark.parametrize("options", [[], ["--hotp", "--digits", "8"], ["--qr", "terminal"]])
def test_json_is_exactly_one_object_matching_the_file(enroll, options):
    enrolled = enroll("--json", *options)
    stdout = enrolled.result.stdout
    value, end = json.JSONDecoder().raw_decode(stdout)
    assert stdout[end:].strip() == "", "more than one JSON value"
    assert set(value) == {"user", "secret_file", "uri", "scratch_codes"}
    file = enrolled.file
    assert value["user"] == enrolled.name
    assert value["secret_file"] == str(enrolled.path)
    assert value["scratch_codes"] == file.scratch_codes
    otp = pyotp.parse_uri(value["uri"])
    assert otp.secret == file.secret


# --- --confirm -----------------------------------------------------------------


def spawn_confirm(otpctl_path, name, *options):
    child = pexpect.spawn(
        str(otpctl_path), ["enroll", name, "--qr", "none", "--confirm", *options], encoding="utf-8", timeout=15
    )
    child.expect(r"URI: (otpauth://\S+)")
    uri = child.match.group(1)
    child.expect("Enter the code your app shows: ")
    return child, uri



def test_confirm_activates_the_secret_after_a_right_code(users, otpctl, otpctl_path):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    child, uri = spawn_confirm(otpctl_path, account.pw_name)
    assert not path.exists(), "the secret was written before it was confirmed"
    otp = pyotp.parse_uri(uri)
    code = otp.now()
    child.sendline(code)
    child.expect("Code confirmed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_OK
    file = SecretFileText.read(path)
    assert file.secret == otp.secret
    # The confirmation used the code: it cannot log in a second time.
    assert {int(step) for step in file.option("DISALLOW_REUSE")} & {now_step() - 1, now_step()}
    assert_fails(otpctl("verify", account.pw_name, code), EXIT_REFUSED, "already used")


def test_confirm_of_hotp_advances_the_counter(users, otpctl_path):
    account = users.create()
    child, uri = spawn_confirm(otpctl_path, account.pw_name, "--hotp")
    otp = pyotp.parse_uri(uri)
    child.sendline(otp.at(0))  # pyotp: at(0) is the URI's counter, the first code the app shows
    child.expect("Code confirmed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_OK
    assert SecretFileText.read(DEFAULT_DIRECTORY / account.pw_name).option("HOTP_COUNTER") == ["2"]


def test_confirm_gives_up_after_three_wrong_codes(users, otpctl_path):
    account = users.create()
    child, uri = spawn_confirm(otpctl_path, account.pw_name)
    wrong = wrong_totp_code(pyotp.parse_uri(uri))
    for attempt in range(3):
        child.sendline(wrong)
        if attempt < 2:
            child.expect("That code is not right")
            child.expect("Enter the code your app shows: ")
    child.expect("the secret was not activated")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_REFUSED
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()


def test_confirm_does_not_take_a_scratch_code(users, otpctl_path):
    # A scratch code is printed next to the prompt; typing it proves nothing
    # about the app, so it must not activate the secret.
    account = users.create()
    child = pexpect.spawn(
        str(otpctl_path), ["enroll", account.pw_name, "--qr", "none", "--confirm"], encoding="utf-8", timeout=15
    )
    child.expect(r"scratch codes.*?\n\s+(\d{8})\s")
    scratch = child.match.group(1)
    child.expect("Enter the code your app shows: ")
    child.sendline(scratch)
    index = child.expect(["That code is not right", "Code confirmed"])
    child.terminate(force=True)
    assert index == 0, "a scratch code activated the secret at the --confirm prompt"


def test_confirm_with_json_shows_the_secret_before_asking(users, otpctl_path):
    # --json skips the text that shows the secret; a prompt for the app's
    # code then asks for something the user cannot have. Either the
    # combination is refused as a usage error, or the URI comes first.
    account = users.create()
    child = pexpect.spawn(
        str(otpctl_path), ["enroll", account.pw_name, "--json", "--confirm"], encoding="utf-8", timeout=15
    )
    index = child.expect([pexpect.EOF, "Enter the code your app shows: "])
    shown = child.before
    child.terminate(force=True)
    child.close()
    if index == 0:
        assert child.exitstatus == EXIT_USAGE, shown
    else:
        assert "otpauth://" in shown, "prompted for a code without showing the secret"


@pytest.mark.parametrize("answers", ["", "abc\nabc\nabc\n", "12345\n\n1234567890\n"])
def test_confirm_reads_answers_from_stdin(users, otpctl, answers):
    # Not a terminal: no prompt, lines from stdin; end of input counts as failure.
    account = users.create()
    result = otpctl("enroll", account.pw_name, "--qr", "none", "--confirm", input=answers)
    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "the secret was not activated" in result.stderr
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr
    assert not (DEFAULT_DIRECTORY / account.pw_name).exists()
