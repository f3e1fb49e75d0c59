"""The INSTALLED module: scripts/install puts pam_otp.so into the
multiarch security directory and otpctl into /usr/bin; a service file that
names the module as plain `pam_otp.so`, as an administrator writes it,
then authenticates through pamtester under pam_wrapper (a private service
directory, so /etc/pam.d is not touched).

Every check also asserts that the code prompt was asked: without it a
success could come from some other stack (Debian's `other` asks only for
a password) and prove nothing about the module.
"""

import stat
import subprocess

import pytest

from rigs.accounts import enrolled
from rigs.codes import totp, wrong_totp
from rigs.install import INSTALLED_MODULE, INSTALLED_OTPCTL, STATE_DIR, installed
from rigs.pamstack import auth_lines, module_field, pamtester, private_service_dir, shipped

CODE_PROMPT = "Verification code: "
CODE_ONLY = "auth required pam_otp.so\n"


@pytest.fixture(scope="module")
def installation():
    with installed() as result:
        yield result


@pytest.fixture(scope="module")
def service_dir(installation, tmp_path_factory):
    sshd_auth = auth_lines(shipped("password-then-code"))
    # The shipped lines as they are: the module by its plain name.
    assert {module_field(line) for line in sshd_auth.splitlines()} == {"pam_unix.so", "pam_otp.so", "pam_permit.so"}
    return private_service_dir(
        tmp_path_factory.mktemp("pam-services"), {"otp-code-only": CODE_ONLY, "otp-sshd-auth": sshd_auth}
    )


def installed_otpctl(*arguments):
    return subprocess.run([str(INSTALLED_OTPCTL), *map(str, arguments)], capture_output=True, text=True)


@pytest.fixture
def account(installation, users):
    """A user with a password, enrolled by the installed /usr/bin/otpctl."""
    account = enrolled(users, installed_otpctl, prefix="otpinst")
    assert account.secret_file == STATE_DIR / account.name
    return account


def test_install_puts_the_files_in_place(installation):
    module = INSTALLED_MODULE.stat()
    assert stat.S_ISREG(module.st_mode) and stat.S_IMODE(module.st_mode) == 0o644 and module.st_uid == 0
    tool = INSTALLED_OTPCTL.stat()
    assert stat.S_ISREG(tool.st_mode) and stat.S_IMODE(tool.st_mode) == 0o755 and tool.st_uid == 0
    state = STATE_DIR.stat()
    assert stat.S_ISDIR(state.st_mode) and stat.S_IMODE(state.st_mode) == 0o700 and state.st_uid == 0
    # sshd and sudo load it on hosts without a Swift toolchain.
    libraries = subprocess.run(["ldd", str(INSTALLED_MODULE)], capture_output=True, text=True, check=True).stdout
    assert "swift" not in libraries.lower() and "not found" not in libraries, libraries


def test_right_code_authenticates(service_dir, account):
    result = pamtester(service_dir, "otp-code-only", account.name, [totp(account.secret)])
    assert result.count(CODE_PROMPT) == 1, result
    assert result.authenticated, result


def test_wrong_code_is_refused(service_dir, account):
    result = pamtester(service_dir, "otp-code-only", account.name, [wrong_totp(account.secret)])
    assert result.count(CODE_PROMPT) == 1, result
    assert not result.authenticated, result


def test_shipped_sshd_auth_lines_with_the_installed_module(service_dir, account):
    result = pamtester(service_dir, "otp-sshd-auth", account.name, [account.password, totp(account.secret)])
    assert result.count("Password: ") == 1 and result.count(CODE_PROMPT) == 1, result
    assert result.authenticated, result
    refused = pamtester(service_dir, "otp-sshd-auth", account.name, [account.password, wrong_totp(account.secret)])
    assert refused.count(CODE_PROMPT) == 1, refused
    assert not refused.authenticated, refused
