"""A user with several tokens, as google-authenticator-libpam (GA) sees
the file: GA's real module authenticates the primary token (the first
line and GA's option lines), skips the further tokens' lines and keeps
them when it writes the file back; a primary HOTP token at counter 0 is
stored so that GA accepts none of its codes (only scratch codes) until
pam_otp has moved it to 1."""

import json
import os

import pytest

from rigs.accounts import enrolled
from rigs.codes import hotp, secret_of, totp, wrong_totp
from rigs.pamstack import SECURITY_DIR, pamtester, private_service_dir

CODE_PROMPT = "Verification code: "
GA_MODULE = SECURITY_DIR / "pam_google_authenticator.so"
GA_FILE = ".google_authenticator"


@pytest.fixture(scope="module")
def services(module_path, tmp_path_factory):
    return private_service_dir(tmp_path_factory.mktemp("tokens-ga-services"), {
        "ga": f"auth required {GA_MODULE} secret=~/{GA_FILE} allowed_perm=0600\n",
        "otp": f"auth required {module_path} secret=~/{GA_FILE} allowed_perm=0600\n",
    })


def login(services, service, user, code):
    result = pamtester(services, service, user, [code])
    assert result.count(CODE_PROMPT) == 1, result
    return result.authenticated


@pytest.fixture
def account(users, otpctl):
    # No rate limit: the tests make more attempts than 3 in 30 s.
    return enrolled(users, otpctl, "--secret-file", f"~/{GA_FILE}", "--no-rate-limit")


def token_lines(path):
    return [line for line in path.read_text().splitlines() if line.startswith('" TOKEN ')]


def test_gas_module_authenticates_the_primary_of_a_two_token_file(services, account, otpctl):
    added = otpctl("token", "add", account.name, "tablet", "--secret-file", f"~/{GA_FILE}", "--qr", "none", "--json")
    assert added.returncode == 0, added.stderr
    tablet = json.loads(added.stdout)["uri"].split("secret=")[1].split("&")[0]
    path = account.secret_file
    primary = account.secret
    lines = token_lines(path)
    assert len(lines) == 1

    # GA: the primary's code logs in; the tablet's is not GA's to know.
    assert login(services, "ga", account.name, totp(primary)), path.read_text()
    assert not login(services, "ga", account.name, totp(tablet))
    assert not login(services, "ga", account.name, wrong_totp(primary))
    # GA wrote its state back (used step, attempt times) and kept the token.
    assert token_lines(path) == lines, path.read_text()
    assert secret_of(path) == primary

    # pam_otp still reads it: the tablet logs in; GA's used step is refused.
    assert login(services, "otp", account.name, totp(tablet))
    assert not login(services, "otp", account.name, totp(primary))


def test_a_primary_hotp_token_at_counter_zero_is_nothing_ga_accepts(services, account):
    path = account.secret_file
    secret = account.secret
    scratch = account.scratch_codes[0]
    os.chmod(path, 0o600)
    path.write_text(f'{secret}\n" WINDOW_SIZE 3\n" HOTP_COUNTER 0\n{scratch}\n')
    os.chmod(path, 0o400)
    before = path.read_bytes()
    # GA reads HOTP_COUNTER 0 as "not HOTP" and, without TOTP_AUTH, takes
    # neither counter's codes nor a time-based one.
    for code in (hotp(secret, 0), hotp(secret, 1), totp(secret)):
        assert not login(services, "ga", account.name, code)
    assert path.read_bytes() == before, "GA changed nothing"
    # pam_otp accepts the first code; then the file is one GA reads as HOTP.
    assert login(services, "otp", account.name, hotp(secret, 0))
    assert '" HOTP_COUNTER 1' in path.read_text()
    assert login(services, "ga", account.name, hotp(secret, 1)), path.read_text()
    assert not login(services, "otp", account.name, hotp(secret, 1)), "GA moved the counter on"
