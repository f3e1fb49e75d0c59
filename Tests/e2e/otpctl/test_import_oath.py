"""`otpctl import oath`: a pam_oath usersfile with secrets of its own,
used first by the real pam_oath (so the file holds what pam_oath writes
after a login: the counter, the last code, its time), then imported; the
code pam_oath accepted last is refused by pam_otp, and oathtool's next codes
log in through the release module inside the real libpam. A 10 MB line is
refused with nothing changed; --dry-run and a second run change nothing."""

import os
import subprocess
import time

from import_support import assert_clear_refusal, assert_never_shows, assert_root_only, login, snapshot
from otpctl_support import EXIT_DATA, EXIT_OK
from rigs.pamstack import SECURITY_DIR, pamtester, private_service_dir


def oathtool(*arguments):
    return subprocess.run(["oathtool", *arguments], capture_output=True, text=True, check=True).stdout.strip()


def hotp(secret_hex, counter, digits=6):
    return oathtool("--hotp", f"--digits={digits}", "-c", str(counter), secret_hex)


def totp(secret_hex, at, step=30, digits=6):
    return oathtool("--totp", f"--digits={digits}", f"--time-step-size={step}s", "-N", f"@{int(at)}", secret_hex)


def pam_oath_login(tmp_path, usersfile, user, code):
    """A login through the real pam_oath, which rewrites the usersfile."""
    services = private_service_dir(tmp_path / "oath-services", {
        "oath": f"auth required {SECURITY_DIR / 'pam_oath.so'} usersfile={usersfile} window=5\n"})
    result = pamtester(services, "oath", user, [code])
    assert "One-time password" in result.output, result
    return result.authenticated


def test_counters_and_last_codes_survive_the_move(users, otpctl, store, module_login, tmp_path):
    hotp_user, totp_user, eight_user = (users.create().pw_name for _ in range(3))
    hotp_secret, totp_secret, eight_secret = (os.urandom(20).hex() for _ in range(3))
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(
        "# pam_oath's users\n"
        f"HOTP {hotp_user} - {hotp_secret} 0\n"
        f"HOTP/T30 {totp_user} - {totp_secret}\n"
        f"HOTP/E/8\t{eight_user}\tpin1234\t{eight_secret}\t5\n")
    usersfile.chmod(0o600)

    # The real pam_oath accepts a code of each kind and records it.
    used_hotp = hotp(hotp_secret, 0)
    assert pam_oath_login(tmp_path, usersfile, hotp_user, used_hotp)
    now = time.time()
    used_totp = totp(totp_secret, now)
    assert pam_oath_login(tmp_path, usersfile, totp_user, used_totp)
    assert used_totp in usersfile.read_text() and used_hotp in usersfile.read_text()

    result = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert result.returncode == EXIT_OK, result.stderr
    for user in (hotp_user, totp_user, eight_user):
        assert f"{user}: created {store}/{user}" in result.stdout, result.stdout
        assert_root_only(store / user)
    assert "line 4: its password field is ignored" in result.stdout
    assert "pin1234" not in result.stdout + result.stderr
    for secret in (hotp_secret, totp_secret, eight_secret):
        assert_never_shows(result.stdout + result.stderr, bytes.fromhex(secret))

    # HOTP: pam_oath's last code stays spent; the next ones work.
    assert not login(module_login, store, hotp_user, used_hotp, "no_increment_hotp"), "pam_oath's last code is spent"
    assert login(module_login, store, hotp_user, hotp(hotp_secret, 1))
    # TOTP: the code pam_oath accepted is refused although its step is still
    # in the window; the next step's code (also in the window) works.
    assert not login(module_login, store, totp_user, used_totp), "the TOTP code pam_oath accepted must stay refused"
    assert login(module_login, store, totp_user, totp(totp_secret, now + 30))
    # 8 digits, counter 5 (unused): oathtool's codes from 5 on.
    assert login(module_login, store, eight_user, hotp(eight_secret, 5, digits=8))
    assert not login(module_login, store, eight_user, hotp(eight_secret, 5, digits=8))


def test_negative_control_without_pam_oaths_record_the_code_works(users, otpctl, store, module_login, tmp_path):
    """The same line before pam_oath recorded a login: counter 0's code
    works, so the refusal above comes from the record, not the setup."""
    user = users.create().pw_name
    secret = os.urandom(20).hex()
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(f"HOTP/E {user} - {secret} 1\n")
    assert otpctl("import", "oath", usersfile, "--secret-dir", store).returncode == EXIT_OK
    assert login(module_login, store, user, hotp(secret, 1))


def test_dry_run_and_second_run_change_nothing(users, otpctl, store, tmp_path):
    user = users.create().pw_name
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(f"HOTP/T60/8 {user} - {os.urandom(32).hex()}\n")
    dry = otpctl("import", "oath", usersfile, "--secret-dir", store, "--dry-run")
    assert dry.returncode == EXIT_OK, dry.stderr
    assert f"{user}: would create {store}/{user}: TOTP every 60 s, SHA1, 8 digits (line 1)" in dry.stdout
    assert snapshot(store) == {}
    assert otpctl("import", "oath", usersfile, "--secret-dir", store).returncode == EXIT_OK
    before = snapshot(store)
    again = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert again.returncode == EXIT_OK and f"{user}: unchanged" in again.stdout, again.stdout
    assert snapshot(store) == before


def test_a_10_mb_line_is_refused_and_nothing_changes(users, otpctl, store, tmp_path):
    user = users.create().pw_name
    usersfile = tmp_path / "users.oath"
    with usersfile.open("w") as file:
        file.write(f"HOTP {user} - {os.urandom(20).hex()}\n")
        file.write("HOTP " + "x" * (10 * 1024 * 1024) + "\n")
    started = time.monotonic()
    result = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert time.monotonic() - started < 10
    assert_clear_refusal(result, EXIT_DATA, "line 2: line is 10485765 bytes long", "nothing was written")
    assert snapshot(store) == {}


def test_malformed_lines_are_refused_with_their_number(users, otpctl, store, tmp_path):
    user = users.create().pw_name
    for line, message in [
        (f"HOTP/T45 {user} - {os.urandom(20).hex()}", "unknown token type"),
        (f"HOTP {user} - 12zz", "not hexadecimal"),
        (f"HOTP {user} - {os.urandom(4).hex()}", "the secret is 4 bytes"),
        (f"HOTP {user} - {os.urandom(20).hex()} x", "the counter is not a number"),
        (f"HOTP {user} - {os.urandom(20).hex()} 1 123456 yesterday", "the last-used time"),
    ]:
        usersfile = tmp_path / "users.oath"
        usersfile.write_text(f"# first\n{line}\n")
        assert_clear_refusal(otpctl("import", "oath", usersfile, "--secret-dir", store), EXIT_DATA, "line 2", message)
    assert snapshot(store) == {}


def test_an_unknown_user_stops_the_whole_import(users, otpctl, store, tmp_path):
    user = users.create().pw_name
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(f"HOTP {user} - {os.urandom(20).hex()}\nHOTP nosuchuser9q - {os.urandom(20).hex()}\n")
    result = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert_clear_refusal(result, EXIT_DATA, "nosuchuser9q: refused: no such user", "nothing was written")
    assert snapshot(store) == {}


def test_a_write_that_fails_half_way_puts_back_the_users_before_it(users, otpctl, store, tmp_path):
    """The third user's write fails (a directory sits where the file would
    go, which only the rename finds out): the first user's replaced file is
    restored byte for byte and the second user's new file removed again."""
    replaced, created, failing = (users.create().pw_name for _ in range(3))
    (store / replaced).write_text("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
    (store / replaced).chmod(0o600)
    (store / failing).mkdir(mode=0o700)
    (store / failing / "keep").write_text("x")
    before = snapshot(store)
    usersfile = tmp_path / "users.oath"
    usersfile.write_text("".join(f"HOTP {user} - {os.urandom(20).hex()}\n" for user in (replaced, created, failing)))
    result = otpctl("import", "oath", usersfile, "--secret-dir", store, "--replace")
    text = result.stdout + result.stderr
    assert result.returncode != EXIT_OK, text
    assert f"{replaced}: replaced" in text and f"{created}: created" in text and f"{failing}: failed" in text, text
    assert f"{replaced}: restored" in text and f"{created}: removed" in text, text
    assert "the users written before it were put back" in text, text
    after = snapshot(store)
    assert set(after) == set(before)
    assert after[replaced][0] == before[replaced][0], "the replaced user's file is back as it was"
    assert (store / failing / "keep").read_text() == "x"
