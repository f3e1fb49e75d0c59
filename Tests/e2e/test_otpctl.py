"""otpctl, the built binary, end to end: enrolment, the secret file it
writes, every command, permissions and failures with their documented exit
codes, checked against independent tools (oathtool, pyotp, urllib, zbar,
the google-authenticator CLI).

Runs as root; throwaway users come from conftest's `users` fixture, which
removes them, their homes and their /var/lib/pam_otp files afterwards.
"""

import json
import os
import re
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pexpect
import pyotp
import pytest

from otpctl_support import (
    BASE32_STRICT,
    DEFAULT_DIRECTORY,
    EXIT_DATA,
    EXIT_EXISTS,
    EXIT_IO,
    EXIT_NOT_ENROLLED,
    EXIT_OK,
    EXIT_PERMISSION,
    EXIT_REFUSED,
    EXIT_UNKNOWN_USER,
    EXIT_USAGE,
    SCRATCH_CODE,
    SecretFileText,
    assert_fails,
    group_key,
    oathtool_hotp,
    oathtool_totp,
)
from qr_decode import colour_parameters, decode_terminal_qr, terminal_qr_lines, zbar_decode

# What a default enrolment writes after the secret: GA's own default lines.
DEFAULT_OPTION_LINES = ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 3', '" DISALLOW_REUSE', '" TOTP_AUTH']


class Enrolled:
    """A user enrolled by root at the default location."""

    def __init__(self, account, result):
        self.account = account
        self.result = result

    @property
    def name(self):
        return self.account.pw_name

    @property
    def path(self):
        return DEFAULT_DIRECTORY / self.name

    @property
    def file(self):
        return SecretFileText.read(self.path)


@pytest.fixture
def enroll(users, otpctl):
    """enroll(*options): a new user, enrolled by root with `options`."""

    def make(*options):
        account = users.create()
        result = otpctl("enroll", account.pw_name, "--qr", "none", *options)
        assert result.returncode == EXIT_OK, result.stderr
        return Enrolled(account, result)

    return make


@pytest.fixture
def scratch_dir():
    with tempfile.TemporaryDirectory(prefix="otpctl-test-") as directory:
        yield Path(directory)


def home_file(account, name=".google_authenticator"):
    return Path(account.pw_dir) / name


def now_step(step=30):
    return int(time.time()) // step


# --- enrolment at the default location --------------------------------------


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
    # design.md: GA's format; SHA1/6 digits written without DIGITS/ALGORITHM
    # lines so GA's own module reads it.
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
    # design.md: `~`, ${USER} and ${HOME} expand as in the module's secret= option.
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


def wrong_totp_code(otp):
    """A code that no step near now produces."""
    near = {otp.at(time.time() + offset) for offset in range(-300, 301, otp.interval)}
    return next(f"{n:0{otp.digits}d}" for n in range(10**otp.digits) if f"{n:0{otp.digits}d}" not in near)


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


# --- code ------------------------------------------------------------------------


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
    # design.md: two concurrent logins can never both accept the same TOTP step.
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


# --- uri -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, digits, period, digest",
    [
        ([], 6, 30, "sha1"),
        (["--algorithm", "SHA256", "--digits", "8", "--period", "60"], 8, 60, "sha256"),
        (["--algorithm", "SHA512", "--digits", "7", "--period", "1"], 7, 1, "sha512"),
        (["--hotp"], 6, None, "sha1"),
        (["--hotp", "--algorithm", "SHA256", "--digits", "8"], 8, None, "sha256"),
    ],
)
def test_uri_is_read_right_by_pyotp(enroll, otpctl, options, digits, period, digest):
    enrolled = enroll(*options)
    result = otpctl("uri", enrolled.name, "--issuer", "Example", "--label", "alice@example.com")
    assert result.returncode == EXIT_OK, result.stderr
    otp = pyotp.parse_uri(result.stdout.strip())
    assert otp.secret == enrolled.file.secret
    assert (otp.digits, otp.digest().name, otp.issuer, otp.name) == (digits, digest, "Example", "alice@example.com")
    if period is None:
        assert isinstance(otp, pyotp.HOTP)
        assert otp.initial_count == 1  # the file's next counter
        assert otp.at(0) == otpctl("code", enrolled.name).stdout.strip()
    else:
        assert isinstance(otp, pyotp.TOTP)
        assert otp.interval == period
        assert otp.at(1_234_567_890) == otpctl("code", enrolled.name, "--at", 1_234_567_890).stdout.strip()


AWKWARD_NAMES = [
    "a:b", "a/b", "a#b", "a+b", "a&b=c?d", "with space", "jörg@müller.de", "日本", "100%", "%41",
    "Ex: Co/Dept #1 + x&y=z?", "emoji \U0001F511", "semi;colon", 'quote"s', "trailing ",
]


def split_uri(uri):
    """Issuer, account and query of an otpauth URI by the Key Uri Format,
    with Python's urllib (RFC 3986) instead of otpctl's own parser."""
    assert uri.isascii() and " " not in uri, uri
    parts = urlsplit(uri)
    assert (parts.scheme, parts.fragment) == ("otpauth", ""), uri
    raw_label = parts.path[1:]
    assert raw_label.count(":") == 1, f"the label must have exactly one literal ':' separator: {uri}"
    raw_issuer, raw_account = raw_label.split(":")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    return (
        unquote(raw_issuer, errors="strict"),
        unquote(raw_account, errors="strict"),
        {key: values[0] for key, values in query.items()},
    )


def test_awkward_issuers_and_labels_round_trip(enroll, otpctl):
    enrolled = enroll()
    secret = enrolled.file.secret
    for index, issuer in enumerate(AWKWARD_NAMES):
        label = AWKWARD_NAMES[(index + 5) % len(AWKWARD_NAMES)]
        result = otpctl("uri", enrolled.name, "--issuer", issuer, "--label", label)
        assert result.returncode == EXIT_OK, result.stderr
        label_issuer, account, query = split_uri(result.stdout.strip())
        assert (label_issuer, account) == (issuer, label), result.stdout
        assert query["issuer"] == issuer, result.stdout
        assert query["secret"] == secret


def test_enroll_uri_carries_awkward_names_too(users, otpctl, scratch_dir):
    account = users.create()
    png = scratch_dir / "enrol.png"
    issuer, label = "Ex: Co/Dept #1 + x&y=z?", "jörg@müller.de 日本"
    result = otpctl("enroll", account.pw_name, "--json", "--issuer", issuer, "--label", label, "--qr-png", png)
    assert result.returncode == EXIT_OK, result.stderr
    uri = json.loads(result.stdout)["uri"]
    assert split_uri(uri)[:2] == (issuer, label)
    assert zbar_decode(png) == [uri]


# --- qr ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", [[], ["--hotp", "--algorithm", "SHA512", "--digits", "8"], ["--algorithm", "SHA512", "--period", "45"]]
)
def test_qr_png_decodes_to_the_exact_uri(enroll, otpctl, scratch_dir, options):
    enrolled = enroll(*options)
    names = ("--issuer", "Example Co: Ops", "--label", "jörg@müller.de")
    uri = otpctl("uri", enrolled.name, *names).stdout.strip()
    png = scratch_dir / "qr.png"
    result = otpctl("qr", enrolled.name, "--png", png, *names)
    assert result.returncode == EXIT_OK, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(os.lstat(png).st_mode) == 0o600
    assert zbar_decode(png) == [uri]


def test_enroll_qr_png_is_private_and_decodes(users, otpctl, scratch_dir):
    account = users.create()
    png = scratch_dir / "enrol.png"
    png.write_bytes(b"old")
    png.chmod(0o644)
    result = otpctl("enroll", account.pw_name, "--json", "--qr-png", png)
    assert result.returncode == EXIT_OK, result.stderr
    assert stat.S_IMODE(os.lstat(png).st_mode) == 0o600  # it holds the secret
    assert zbar_decode(png) == [json.loads(result.stdout)["uri"]]


def test_terminal_qr_decodes_to_the_exact_uri(enroll, otpctl, scratch_dir):
    enrolled = enroll("--algorithm", "SHA256", "--digits", "8")
    names = ("--issuer", "a&b=c?d #x", "--label", "日本")
    uri = otpctl("uri", enrolled.name, *names).stdout.strip()
    result = otpctl("qr", enrolled.name, *names)
    assert result.returncode == EXIT_OK, result.stderr
    lines = terminal_qr_lines(result.stdout)
    # Dark modules are drawn black on white whatever the terminal's theme.
    assert all({"30", "47"} <= colour_parameters(line) for line in lines)
    assert decode_terminal_qr(result.stdout, scratch_dir) == [uri]


def test_qr_png_does_not_follow_a_symlink(enroll, otpctl, scratch_dir):
    enrolled = enroll()
    victim = scratch_dir / "victim"
    victim.write_text("precious\n")
    link = scratch_dir / "qr.png"
    link.symlink_to(victim)
    assert_fails(otpctl("qr", enrolled.name, "--png", link), EXIT_IO, str(link))
    assert victim.read_text() == "precious\n"


# --- status --------------------------------------------------------------------------


def assert_no_secret(text, file):
    for secret in (file.secret, file.secret.lower(), group_key(file.secret), file.secret_bytes.hex()):
        assert secret not in text
    for code in file.scratch_codes:
        assert code not in text


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
        "time_skew": 0, "rate_limit": {"attempts": 3, "seconds": 30, "recent_attempts": 0}, "failures": 0,
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
        "rate_limit": None, "failures": 0,
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
    result = otpctl("revoke", enrolled.name)
    assert result.returncode == EXIT_OK, result.stderr
    assert not enrolled.path.exists()
    assert_fails(otpctl("status", enrolled.name), EXIT_NOT_ENROLLED, "not enrolled")
    assert_fails(otpctl("revoke", enrolled.name), EXIT_NOT_ENROLLED, "not enrolled")


def test_user_revokes_their_home_file(users, otpctl):
    account = users.create()
    arguments = ("--secret-file", "~/.google_authenticator")
    assert otpctl("enroll", "--qr", "none", *arguments, user=account.pw_name).returncode == EXIT_OK
    result = otpctl("revoke", account.pw_name, *arguments, user=account.pw_name)
    assert result.returncode == EXIT_OK, result.stderr
    assert not home_file(account).exists()


# --- permissions ---------------------------------------------------------------------


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
    # design.md: a stolen shell must not mint codes for sudo.
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
