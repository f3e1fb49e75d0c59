"""fleet_unavailable=local: with the directory down, a host that has a
local copy (written at its earlier successes) verifies against it, and
says so loudly; one without a copy refuses (PAM_AUTHINFO_UNAVAIL, never
nullok's pass). Back up, the step claimed locally is pushed with the
assertion, and the same code is then refused on every host.

Each host has its own secret= directory (root's, 0700) for its copy; the
users exist locally too, as nslcd or SSSD would provide them."""

import os
import time
from pathlib import Path

import pytest

from rigs import slapd
from fleet_support import enrol, login, service, write_config


@pytest.fixture
def hosts(provider, module_path, tmp_path, users):
    config = write_config(tmp_path / "ldap.conf", [provider], provider.tls["ca"])
    made = {}
    for name in ("a", "b"):
        state = tmp_path / f"host-{name}-state"
        state.mkdir(mode=0o700)
        made[name] = (service(tmp_path / f"pam-{name}", module_path, config,
                              f"fleet_unavailable=local nullok secret={state}/${{USER}}"), state)
    return made


def test_local_copy_carries_logins_through_an_outage_and_is_pushed_back(provider, hosts, users):
    account = users.create(prefix="fll")
    user = enrol(provider, name=account.pw_name)
    (host_a, state_a), (host_b, state_b) = hosts["a"], hosts["b"]
    now = time.time()
    # An ordinary fleet login on host A also writes A's local copy.
    ok, _, text = login(host_a, user.name, user.totp(now))
    assert ok, text
    copy = state_a / user.name
    assert copy.exists() and (copy.stat().st_mode & 0o777) == 0o600 and copy.stat().st_uid == 0
    assert not (state_b / user.name).exists()

    provider.stop()
    try:
        later = user.totp(now + 30)
        ok, asked, text = login(host_a, user.name, later)
        assert asked and ok, text
        assert "fleet_unavailable=local" in text  # the loud log line (pam_wrapper shows syslog)
        # The local copy refuses its replay on the same host.
        ok, _, _ = login(host_a, user.name, later)
        assert not ok
        # Host B has no copy: refused without a prompt, despite nullok.
        ok, asked, text = login(host_b, user.name, later)
        assert not ok and not asked
        assert "cannot retrieve authentication info" in text
    finally:
        provider.start()

    # Back up: the directory does not know the step yet...
    step_known = int(provider.attribute(user.token_dn, "oathTOTPLastTimeStep"))
    assert step_known < (int(now) + 30) // 30
    # ...until host A judges its next answer (here a wrong one), which
    # pushes the locally claimed step first.
    wrong = f"{(int(later) + 500000) % 1000000:06d}"
    ok, _, _ = login(host_a, user.name, wrong)
    assert not ok
    assert int(provider.attribute(user.token_dn, "oathTOTPLastTimeStep")) == (int(now) + 30) // 30
    # Now the code used during the outage is refused on every host.
    ok, asked, text = login(host_b, user.name, later)
    assert asked and not ok
    assert "already used" in text


def test_hotp_counter_claimed_locally_is_pushed_back(provider, hosts, users):
    account = users.create(prefix="flh")
    user = enrol(provider, kind="hotp", name=account.pw_name)
    (host_a, _), (host_b, _) = hosts["a"], hosts["b"]
    ok, _, text = login(host_a, user.name, user.hotp(0))
    assert ok, text
    provider.stop()
    try:
        ok, _, text = login(host_a, user.name, user.hotp(1))
        assert ok, text
    finally:
        provider.start()
    assert provider.attribute(user.token_dn, "oathHOTPCounter") == "1"
    window = {user.hotp(counter) for counter in (2, 3, 4)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in window)
    ok, _, _ = login(host_a, user.name, wrong)
    assert not ok
    assert provider.attribute(user.token_dn, "oathHOTPCounter") == "2"
    ok, asked, _ = login(host_b, user.name, user.hotp(1))
    assert asked and not ok
    ok, _, text = login(host_b, user.name, user.hotp(2))
    assert ok, text
