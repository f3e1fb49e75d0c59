"""`otpctl import ga`: a ~/.google_authenticator written by the real
`google-authenticator` CLI and then used through GA's own module is moved
into the root-only store whole, so the codes GA accepted (a TOTP code, a
scratch code) are still refused by pam_otp after the move, through the
release module inside the real libpam. The home file stays unless
--remove-home-file; --dry-run and a second run change nothing."""

import subprocess
import time
from pathlib import Path

import pytest

from import_support import assert_clear_refusal, assert_root_only, login, snapshot
from otpctl_support import EXIT_DATA, EXIT_OK, EXIT_UNKNOWN_USER
from rigs.codes import secret_of, totp
from rigs.pamstack import SECURITY_DIR, pamtester, private_service_dir

GA_MODULE = SECURITY_DIR / "pam_google_authenticator.so"
GA_ENROL = ["-t", "-d", "-f", "-w", "3", "-q", "-Q", "NONE", "-e", "5"]


def ga_enrol(account, *options):
    options = options or ("-r", "3", "-R", "30")
    path = Path(account.pw_dir) / ".google_authenticator"
    subprocess.run(["runuser", "-u", account.pw_name, "--", "google-authenticator", *GA_ENROL, *options, "-s", str(path)],
                   check=True, capture_output=True)
    return path


def ga_login(tmp_path, user, code):
    """A login through GA's own module, which writes its state back."""
    services = private_service_dir(tmp_path / "ga-services", {"ga": f"auth required {GA_MODULE}\n"})
    result = pamtester(services, "ga", user, [code])
    assert "Verification code" in result.output, result
    return result.authenticated


def test_codes_ga_accepted_stay_refused_after_the_move(users, otpctl, store, module_login, tmp_path):
    account = users.create()
    name = account.pw_name
    # Five logins in a minute: GA's rate-limit times move with the file, so
    # the default of 3 per 30 s would refuse the last ones for that alone.
    home_file = ga_enrol(account, "-r", "10", "-R", "30")
    secret = secret_of(home_file)
    scratch = home_file.read_text().splitlines()[-1]
    now = time.time()
    used = totp(secret, now)
    assert ga_login(tmp_path, name, used)
    assert ga_login(tmp_path, name, scratch)
    moved = home_file.read_bytes()
    assert scratch.encode() not in moved

    result = otpctl("import", "ga", name, "--secret-dir", store)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{name}: created {store}/{name}" in result.stdout
    assert secret not in result.stdout + result.stderr
    assert_root_only(store / name)
    # Moved as GA wrote it, byte for byte; the home file is left alone.
    assert (store / name).read_bytes() == moved
    assert home_file.read_bytes() == moved

    assert not login(module_login, store, name, used), "the TOTP code GA accepted must stay refused"
    assert not login(module_login, store, name, scratch), "the scratch code GA accepted must stay refused"
    # Negative control: the next step's code (within the window) logs in.
    assert login(module_login, store, name, totp(secret, now + 30))


def test_dry_run_second_run_and_removing_the_home_file(users, otpctl, store, tmp_path):
    account = users.create()
    name = account.pw_name
    home_file = ga_enrol(account)
    home_before = home_file.read_bytes()

    dry = otpctl("import", "ga", name, "--secret-dir", store, "--dry-run", "--remove-home-file")
    assert dry.returncode == EXIT_OK, dry.stderr
    assert f"{name}: would create {store}/{name}: TOTP every 30 s, SHA1, 6 digits" in dry.stdout, dry.stdout
    assert snapshot(store) == {} and home_file.read_bytes() == home_before

    assert otpctl("import", "ga", name, "--secret-dir", store).returncode == EXIT_OK
    before = snapshot(store)
    again = otpctl("import", "ga", name, "--secret-dir", store, "--remove-home-file")
    assert again.returncode == EXIT_OK, again.stderr
    assert f"{name}: unchanged" in again.stdout
    assert snapshot(store) == before
    assert not home_file.exists(), "--remove-home-file removes it once the user is in the store"
    assert f"{name}: removed {home_file}" in again.stdout


def test_all_lists_only_users_with_a_home_file(users, otpctl, store):
    with_file, without = users.create(), users.create()
    ga_enrol(with_file)
    dry = otpctl("import", "ga", "--all", "--secret-dir", store, "--dry-run")
    assert dry.returncode in (EXIT_OK, EXIT_DATA), dry.stdout + dry.stderr
    assert f"{with_file.pw_name}: would create" in dry.stdout, dry.stdout
    assert without.pw_name not in dry.stdout
    assert snapshot(store) == {}


def test_unsafe_or_missing_home_files_are_refused(users, otpctl, store):
    account = users.create()
    name = account.pw_name
    assert_clear_refusal(otpctl("import", "ga", name, "--secret-dir", store), EXIT_DATA, "no ")
    home_file = ga_enrol(account)
    home_file.chmod(0o644)  # readable by everyone: the module would refuse it too
    assert_clear_refusal(otpctl("import", "ga", name, "--secret-dir", store), EXIT_DATA, "unsafe secret file")
    assert_clear_refusal(otpctl("import", "ga", "nosuchuser9q", "--secret-dir", store), EXIT_UNKNOWN_USER,
                         "no such user")
    assert snapshot(store) == {}


@pytest.mark.parametrize("arguments", [["ga"], ["ga", "root", "--all"]])
def test_usage_errors(otpctl, arguments):
    result = otpctl("import", *arguments)
    assert result.returncode == 64, result.stderr


def test_only_root_imports(users, otpctl, store):
    account = users.create()
    ga_enrol(account)
    result = otpctl("import", "ga", account.pw_name, "--secret-dir", store, user=account.pw_name)
    assert_clear_refusal(result, 77, "only root")
    assert snapshot(store) == {}
