"""Fixtures of the otpctl tests (which run the built binary)."""

import tempfile
from pathlib import Path

import pytest

from otpctl_support import EXIT_OK, Enrolled
from rigs.pamstack import pamtester, private_service_dir, unique_service


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


@pytest.fixture
def store(tmp_path):
    """A private store, root's with mode 0700 as /var/lib/pam_otp is: the
    tests never list the machine's own, which other tests change."""
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def module_login(module_path, tmp_path):
    """module_login(user, answer, *options, rhost=None): one login through
    the release module inside the real libpam (pamtester under
    pam_wrapper), on the line `auth required MODULE OPTIONS`."""
    services = private_service_dir(tmp_path / "pam-services", {})

    def login(user, answer, *options, rhost=None):
        service = unique_service("otpctl-status")
        (services / service).write_text(" ".join(["auth", "required", str(module_path), *options]) + "\n")
        return pamtester(services, service, user, [answer], items={"rhost": rhost} if rhost else None)

    return login
