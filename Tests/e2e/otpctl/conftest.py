"""Fixtures of the otpctl tests (which run the built binary)."""

import tempfile
from pathlib import Path

import pytest

from otpctl_support import EXIT_OK, Enrolled


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
