"""A mirror-mode pair: every host lists the two providers in the same
order, so all of them write to the first while it answers. A hung first
server costs one time limit; a stopped one, nothing; and through a
failover each code is still accepted exactly once."""

import subprocess
import time

import pytest

from rigs import slapd
from fleet_support import Host, enrol, login, race, reset_failures, service, write_config

TIMELIMIT = 2


@pytest.fixture(scope="module")
def pair_fleet(mirror_pair, module_path, tmp_path_factory):
    directory = tmp_path_factory.mktemp("fleet-pair")
    config = write_config(directory / "ldap.conf", mirror_pair, mirror_pair[0].tls["ca"])
    return service(directory / "pam", module_path, config)


def test_hung_first_server_costs_at_most_the_time_limit(mirror_pair, pair_fleet):
    first, second = mirror_pair
    user = enrol(first)
    slapd.wait_in_sync(mirror_pair)
    first.pause()
    try:
        began = time.monotonic()
        ok, asked, text = login(pair_fleet, user.name, user.totp())
        elapsed = time.monotonic() - began
    finally:
        first.resume()
    assert asked and ok, text
    print(f"login past a hung first server: {elapsed:.2f} s (timelimit {TIMELIMIT} s)")
    # One time limit for the hung server (the second phase starts at the
    # server that answered), plus the work itself.
    assert elapsed < TIMELIMIT + 1.0, elapsed
    slapd.wait_in_sync(mirror_pair)


def test_the_whole_login_is_capped_by_login_timelimit(mirror_pair, module_path, tmp_path):
    """Both servers hung: two time limits would be 4 s; login_timelimit 3
    ends the login after about 3 s, in PAM_AUTHINFO_UNAVAIL."""
    capped = service(tmp_path / "pam-capped", module_path,
                     write_config(tmp_path / "capped.conf", mirror_pair, mirror_pair[0].tls["ca"],
                                  extra="login_timelimit 3\n"))
    for server in mirror_pair:
        server.pause()
    try:
        began = time.monotonic()
        ok, asked, text = login(capped, "anyone", "123456")
        elapsed = time.monotonic() - began
    finally:
        for server in mirror_pair:
            server.resume()
    print(f"login with every server hung: {elapsed:.2f} s (login_timelimit 3 s)")
    assert not ok and not asked and "cannot retrieve authentication info" in text, text
    assert 2.5 < elapsed < 3.8, elapsed
    slapd.wait_in_sync(mirror_pair)


def test_hosts_listing_the_servers_in_different_orders_can_both_win(mirror_pair, module_path, tmp_path):
    """The one-writer rule, shown by breaking it: eight hosts list the
    first provider first, eight the second. Each server's assertion holds
    for its own writes only, and replication comes later, so one code can
    win on both. (The README's partition figure.)"""
    first, second = mirror_pair
    reverse = service(tmp_path / "pam-reverse", module_path,
                      write_config(tmp_path / "reverse.conf", [second, first], first.tls["ca"]))
    forward = service(tmp_path / "pam-forward", module_path,
                      write_config(tmp_path / "forward.conf", [first, second], first.tls["ca"]))
    user = enrol(first, kind="hotp")
    slapd.wait_in_sync(mirror_pair)
    winners = []
    for counter in range(5):
        hosts = []
        for index in range(16):
            hosts.append(Host(forward if index % 2 == 0 else reverse, user.name))
            assert hosts[-1].wait_for_prompt(), hosts[-1].seen
        code = user.hotp(counter)
        for host in hosts:
            host.answer(code)
        winners.append(sum(1 for host in hosts if host.result()[0]))
        slapd.wait_in_sync(mirror_pair)
        reset_failures(first, user)
        slapd.wait_in_sync(mirror_pair)
    print(f"winners per round with two writers: {winners}")
    assert max(winners) >= 2, winners


def test_stopping_the_first_provider_mid_run_keeps_one_success_per_code(mirror_pair, pair_fleet):
    first, second = mirror_pair
    user = enrol(first, kind="hotp")
    slapd.wait_in_sync(mirror_pair)
    winners = []
    for counter in range(6):
        if counter == 3:
            first.stop()
        successes, _ = race(pair_fleet, user.name, user.hotp(counter))
        winners.append(successes)
        reset_failures(second, user)
    assert winners == [1] * 6
    assert second.attribute(user.token_dn, "oathHOTPCounter") == "6"
    # Stopped, so the first server answers no more: every login went on to
    # the second at once.
    began = time.monotonic()
    ok, _, text = login(pair_fleet, user.name, user.hotp(6))
    assert ok, text
    assert time.monotonic() - began < 1.0
