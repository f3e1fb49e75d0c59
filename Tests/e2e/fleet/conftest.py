"""Fixtures of the fleet tests: real slapd servers (rigs/slapd.py), one
provider per test module and a mirror-mode pair, stopped by PID when the
module ends (also on failure). Nothing is cached between runs but the
certificates' directory layout: each run makes a fresh CA and fresh data.
"""

import pytest

from rigs import slapd


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with slapd.servers(tmp_path_factory.mktemp("slapd"), count=1) as started:
        yield started[0]


@pytest.fixture(scope="module")
def mirror_pair(tmp_path_factory):
    with slapd.servers(tmp_path_factory.mktemp("slapd-mirror"), count=2) as started:
        yield started
