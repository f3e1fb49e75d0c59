"""pam_otp as a drop-in for google-authenticator-libpam (GA), and codes
from independent generators, through pamtester under pam_wrapper.

(a) A file the real `google-authenticator` CLI wrote, run as the user,
    works through pam_otp with GA's own stack line, the module renamed.
    What pam_otp writes back stays readable by GA's module.
(b) A SHA1/6-digit file otpctl wrote to ~/.google_authenticator works
    through GA's own module, and pam_otp still reads what GA wrote back.
(c) Codes from oathtool (TOTP and HOTP), given the file's first line,
    are accepted.
"""

import stat
import subprocess
import time

import pytest

from rigs.accounts import enrolled
from rigs.codes import hotp, oathtool_hotp, oathtool_totp, secret_of, totp, wrong_totp
from rigs.pamstack import SECURITY_DIR, pamtester, private_service_dir

CODE_PROMPT = "Verification code: "
GA_MODULE = SECURITY_DIR / "pam_google_authenticator.so"
GA_FILE = ".google_authenticator"
GA_ENROL = ["-f", "-r", "3", "-R", "30", "-w", "3", "-q", "-Q", "NONE", "-e", "5"]


@pytest.fixture(scope="module")
def services(module_path, tmp_path_factory):
    """GA's line with the module renamed (and GA options it documents),
    GA's own module, and pam_otp with its default secret location."""
    return private_service_dir(tmp_path_factory.mktemp("dropin-services"), {
        "otp-ga-line": f"auth required {module_path} secret=~/{GA_FILE} nullok allowed_perm=0600 noskewadj\n",
        "ga": f"auth required {GA_MODULE} secret=~/{GA_FILE} nullok allowed_perm=0600\n",
        "otp-default": f"auth required {module_path}\n",
    })


def authenticate(services, service, user, code):
    result = pamtester(services, service, user, [code])
    # A success without the code prompt would prove nothing about the module.
    assert result.count(CODE_PROMPT) == 1, result
    return result


def ga_enrol(user, *mode):
    """The real google-authenticator CLI, as the user, non-interactively."""
    path = user.home / GA_FILE
    subprocess.run(
        ["runuser", "-u", user.name, "--", "google-authenticator", *mode, *GA_ENROL, "-s", str(path)],
        check=True, capture_output=True,
    )
    return path


def assert_users_private_file(path, user):
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (user.uid, user.gid), path
    assert stat.S_IMODE(info.st_mode) == 0o400, oct(info.st_mode)


@pytest.fixture
def account(users, otpctl):
    return enrolled(users, otpctl)


class TestFileFromTheGoogleAuthenticatorCLI:
    def test_works_with_gas_line_renamed_and_ga_still_reads_it_after(self, services, account):
        path = ga_enrol(account, "-t", "-d")
        secret = secret_of(path)
        assert authenticate(services, "otp-ga-line", account.name, totp(secret)).authenticated
        # A wrong code leaves state behind too (attempt times, failures).
        assert not authenticate(services, "otp-ga-line", account.name, wrong_totp(secret)).authenticated
        # pam_otp saved its state in place: same owner, mode and secret.
        assert_users_private_file(path, account)
        assert secret_of(path) == secret
        # GA's module reads what pam_otp wrote (the next step is in the window).
        result = authenticate(services, "ga", account.name, totp(secret, at=time.time() + 30))
        assert result.authenticated, f"{result}\n{path.read_text()}"

    def test_refuses_wrong_and_replayed_codes(self, services, account):
        path = ga_enrol(account, "-t", "-d")
        secret = secret_of(path)
        assert not authenticate(services, "otp-ga-line", account.name, wrong_totp(secret)).authenticated
        code = totp(secret)
        assert authenticate(services, "otp-ga-line", account.name, code).authenticated
        assert not authenticate(services, "otp-ga-line", account.name, code).authenticated

    def test_hotp_file_with_oathtool_codes(self, services, account):
        path = ga_enrol(account, "-c")
        secret = secret_of(path)
        assert authenticate(services, "otp-ga-line", account.name, oathtool_hotp(secret, 1)).authenticated
        assert authenticate(services, "otp-ga-line", account.name, oathtool_hotp(secret, 2)).authenticated
        # The counter moved past 2: that code is spent.
        assert not authenticate(services, "otp-ga-line", account.name, oathtool_hotp(secret, 2)).authenticated


class TestFileFromOtpctlInGasPlace:
    @pytest.fixture
    def ga_account(self, users, otpctl):
        account = enrolled(users, otpctl, "--secret-file", f"~/{GA_FILE}")
        assert account.secret_file == account.home / GA_FILE
        return account

    def test_written_as_ga_writes_it(self, ga_account):
        assert_users_private_file(ga_account.secret_file, ga_account)
        # SHA1 / 6 digits: no extension lines that GA would not know.
        text = ga_account.secret_file.read_text()
        assert '" DIGITS' not in text and '" ALGORITHM' not in text, text

    def test_works_with_gas_module_and_pam_otp_reads_it_after(self, services, ga_account):
        secret = ga_account.secret
        result = authenticate(services, "ga", ga_account.name, totp(secret))
        assert result.authenticated, f"{result}\n{ga_account.secret_file.read_text()}"
        assert not authenticate(services, "ga", ga_account.name, wrong_totp(secret)).authenticated
        # pam_otp reads the state GA wrote back (next step: in the window).
        assert authenticate(services, "otp-ga-line", ga_account.name, totp(secret, at=time.time() + 30)).authenticated


class TestCodesFromOathtool:
    def test_totp(self, services, account):
        moment = time.time()
        code = oathtool_totp(account.secret, at=moment)
        assert code == totp(account.secret, at=moment)  # two generators agree
        assert authenticate(services, "otp-default", account.name, code).authenticated

    def test_hotp(self, services, users, otpctl):
        account = enrolled(users, otpctl, "--hotp")
        secret = account.secret
        assert oathtool_hotp(secret, 1) == hotp(secret, 1)
        assert authenticate(services, "otp-default", account.name, oathtool_hotp(secret, 1)).authenticated
        assert authenticate(services, "otp-default", account.name, oathtool_hotp(secret, 2)).authenticated
        assert not authenticate(services, "otp-default", account.name, oathtool_hotp(secret, 1)).authenticated
