"""Fixtures of the package tests: the .deb that scripts/package built
(PAM_OTP_DEB; scripts/test-package sets it) and the version it must carry."""

import os
import re
from pathlib import Path

import pytest

from package_support import ROOT

# These tests need the .deb (and test_installed.py the package installed):
# scripts/test-package provides both. A plain `pytest Tests/e2e` leaves
# them out.
if not os.environ.get("PAM_OTP_DEB"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def deb() -> Path:
    path = Path(os.environ.get("PAM_OTP_DEB", ""))
    if not path.is_file():
        pytest.exit("PAM_OTP_DEB does not name a .deb: run scripts/test-package (or scripts/package)", 2)
    return path


@pytest.fixture(scope="session")
def version() -> str:
    """The one version number, read where scripts/lib/version.sh reads it."""
    text = (ROOT / "Sources/OTPCore/Version.swift").read_text()
    return re.search(r'public static let text = "([^"]+)"', text).group(1)
