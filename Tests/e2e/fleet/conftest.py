"""Fixtures of the fleet tests: real slapd servers (rigs/slapd.py), one
provider per test module and a mirror-mode pair, stopped by PID when the
module ends (also on failure). Nothing is cached between runs but the
certificates' directory layout: each run makes a fresh CA and fresh data.
"""

import pytest

from fleet_support import service, write_config
from rigs import slapd


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with slapd.servers(tmp_path_factory.mktemp("slapd"), count=1) as started:
        yield started[0]


@pytest.fixture(scope="module")
def mirror_pair(tmp_path_factory):
    with slapd.servers(tmp_path_factory.mktemp("slapd-mirror"), count=2) as started:
        yield started


@pytest.fixture(scope="module")
def admin_config(provider, tmp_path_factory):
    """otpctl's --ldap file: the hosts' configuration with the
    administrator's bind instead of the hosts'."""
    directory = tmp_path_factory.mktemp("fleet-admin")
    config = write_config(directory / "admin.conf", [provider], provider.tls["ca"])
    config.write_text(config.read_text().replace(f"binddn {slapd.HOST_DN}\nbindpw {slapd.HOST_PW}",
                                                 f"binddn {slapd.ROOT_DN}\nbindpw {slapd.ROOT_PW}"))
    return config


@pytest.fixture(scope="module")
def hosts(provider, module_path, tmp_path_factory):
    """A PAM service whose pam_otp line reads the provider with ldap=."""
    directory = tmp_path_factory.mktemp("fleet-hosts")
    config = write_config(directory / "ldap.conf", [provider], provider.tls["ca"])
    return service(directory / "pam", module_path, config)
