"""The fleet store (ldap=FILE) through the real libpam against real slapd
servers: each code accepted once across all hosts, replays refused on
every host, wrong codes counted for the whole fleet, the decoy line
changing nothing, and bounded time when servers die or hang.

Each host is a pamtester process under pam_wrapper with the same PAM
stack; "16 hosts at once" are 16 such processes held at the prompt, then
given the same code together.
"""

import subprocess
import threading
import time
from pathlib import Path

import pytest

from rigs import slapd
from rigs.pamstack import private_service_dir
from fleet_support import Host, enrol, login, race, reset_failures, service, write_config

ROUNDS = 12


@pytest.fixture(scope="module")
def fleet(provider, module_path, tmp_path_factory):
    directory = tmp_path_factory.mktemp("fleet-hosts")
    config = write_config(directory / "ldap.conf", [provider], provider.tls["ca"])
    return {
        "service": service(directory / "pam", module_path, config),
        "decoy": service(directory / "pam-decoy", module_path, config, "decoy"),
        "config": config,
        "dir": directory,
    }


def test_a_code_logs_in_once_and_its_replay_is_refused_elsewhere(provider, fleet):
    user = enrol(provider)
    code = user.totp()
    ok, asked, text = login(fleet["service"], user.name, code)
    assert asked and ok, text
    step = int(provider.attribute(user.token_dn, "oathTOTPLastTimeStep"))
    assert step in range(int(time.time()) // 30 - 1, int(time.time()) // 30 + 2)
    # The same code on another host: refused, and counted as a wrong code.
    ok, asked, text = login(fleet["service"], user.name, code)
    assert asked and not ok
    assert "already used" in text
    assert provider.attribute(user.token_dn, "oathFailureCount") == "1"
    # A success clears the count (a later step: the next code).
    later = user.totp(time.time() + 30)
    ok, _, text = login(fleet["service"], user.name, later)
    assert ok, text
    assert provider.attribute(user.token_dn, "oathFailureCount") == "0"


def test_sixteen_hosts_one_code_exactly_one_success_every_round(provider, fleet):
    winners = []
    for _ in range(ROUNDS):
        user = enrol(provider)  # a fresh user per round: a fresh TOTP step
        successes, outputs = race(fleet["service"], user.name, user.totp())
        winners.append(successes)
        # Every loser is told why: a replay, or (once three losers' replays
        # were counted before its own answer was judged) the back-off.
        unexplained = [text for text in outputs
                       if not any(word in text for word in ("successfully", "already used", "Too many wrong codes"))]
        assert not unexplained, unexplained
    assert winners == [1] * ROUNDS


def test_hotp_sixteen_hosts_one_success_per_counter(provider, fleet):
    user = enrol(provider, kind="hotp")
    winners = []
    for counter in range(6):
        successes, _ = race(fleet["service"], user.name, user.hotp(counter))
        winners.append(successes)
        assert provider.attribute(user.token_dn, "oathHOTPCounter") == str(counter + 1)
        # Each loser's replay counts, unless three others were counted
        # before its answer was judged: then the back-off refused it first.
        assert 3 <= int(provider.attribute(user.token_dn, "oathFailureCount")) <= 15
        reset_failures(provider, user)
    assert winners == [1] * 6
    # An old counter's code is refused everywhere.
    ok, _, _ = login(fleet["service"], user.name, user.hotp(2))
    assert not ok


def test_wrong_codes_on_several_hosts_add_up_to_one_backoff(provider, fleet):
    user = enrol(provider)
    right = user.totp()
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    # Three hosts, one wrong code each (the default back-off starts at the third).
    for _ in range(3):
        ok, asked, _ = login(fleet["service"], user.name, wrong)
        assert asked and not ok
    assert provider.attribute(user.token_dn, "oathFailureCount") == "3"
    # A fourth host: refused before the prompt, even with the right code.
    ok, asked, text = login(fleet["service"], user.name, right)
    assert not ok and not asked
    assert "Too many wrong codes" in text


def test_decoy_line_claims_nothing_and_counts_nothing(provider, fleet):
    user = enrol(provider)
    code = user.totp()
    ok, asked, _ = login(fleet["decoy"], user.name, code)
    assert asked and not ok
    ok, asked, _ = login(fleet["decoy"], user.name, "000000" if code != "000000" else "111111")
    assert asked and not ok
    assert provider.attribute(user.token_dn, "oathTOTPLastTimeStep") is None
    assert provider.attribute(user.token_dn, "oathFailureCount") == "0"
    # The code the decoy saw still works on the real line.
    ok, _, text = login(fleet["service"], user.name, code)
    assert ok, text


def test_decoy_takes_as_long_as_a_wrong_code(provider, fleet):
    user = enrol(provider)
    wrong = f"{(int(user.totp()) + 500000) % 1000000:06d}"

    def timed(service_dir):
        began = time.monotonic()
        login(service_dir, user.name, wrong)
        return time.monotonic() - began

    # Alternate, keep the median: both lines send one modify after the answer.
    real = sorted(timed(fleet["service"]) for _ in range(2))
    provider.modify(f"dn: {user.token_dn}\nchangetype: modify\nreplace: oathFailureCount\noathFailureCount: 0\n")
    decoy = sorted(timed(fleet["decoy"]) for _ in range(2))
    assert abs(real[0] - decoy[0]) < 0.25, (real, decoy)


def test_a_user_not_in_the_directory_is_asked_then_refused(provider, fleet):
    ok, asked, _ = login(fleet["service"], "nobody-in-ldap", "123456")
    assert asked and not ok


def test_dead_first_server_costs_nothing(provider, fleet, module_path):
    dead = f"ldap://127.0.0.1:{slapd.free_port()}/"
    config = write_config(fleet["dir"] / "dead-first.conf", [dead, provider], provider.tls["ca"])
    services = service(fleet["dir"] / "pam-dead-first", module_path, config)
    user = enrol(provider)
    began = time.monotonic()
    ok, _, text = login(services, user.name, user.totp())
    elapsed = time.monotonic() - began
    assert ok, text
    print(f"login past a dead first server: {elapsed:.3f} s")
    assert elapsed < 1.0


def test_no_server_means_authinfo_unavailable(provider, fleet, module_path):
    dead = [f"ldap://127.0.0.1:{slapd.free_port()}/" for _ in range(2)]
    config = write_config(fleet["dir"] / "all-dead.conf", dead, provider.tls["ca"])
    services = service(fleet["dir"] / "pam-all-dead", module_path, config)
    ok, asked, text = login(services, "anyone", "123456")
    assert not ok and not asked
    assert "cannot retrieve authentication info" in text  # PAM_AUTHINFO_UNAVAIL


def test_ldaps_works_and_a_certificate_from_another_ca_is_refused(provider, fleet, module_path, tmp_path):
    user = enrol(provider)
    ldaps = write_config(fleet["dir"] / "ldaps.conf", [provider.ldaps_uri], provider.tls["ca"])
    ok, _, text = login(service(fleet["dir"] / "pam-ldaps", module_path, ldaps), user.name, user.totp())
    assert ok, text
    # The same servers, checked against a CA that did not sign them: no
    # connection, over StartTLS or ldaps, so no secret leaves the server.
    other = slapd.make_ca(tmp_path / "other-ca")["ca"]
    for uri, name in ((provider.uri, "starttls"), (provider.ldaps_uri, "ldaps")):
        config = write_config(fleet["dir"] / f"other-ca-{name}.conf", [uri], other)
        ok, asked, text = login(service(fleet["dir"] / f"pam-other-ca-{name}", module_path, config),
                                user.name, user.totp(time.time() + 30))
        assert not ok and not asked and "cannot retrieve authentication info" in text, text


def test_a_token_whose_parameters_cannot_be_read_is_not_used_with_defaults(provider, fleet):
    user = enrol(provider)
    provider.modify(f"dn: {user.token_dn}\nchangetype: modify\nreplace: oathTOTPParams\n"
                    f"oathTOTPParams: cn=gone,{slapd.PARAMS}\n")
    ok, asked, text = login(fleet["service"], user.name, user.totp())
    assert not ok and not asked and "cannot retrieve authentication info" in text, text
    assert "parameter entry cannot be read" in text


def test_clear_text_configuration_is_refused(provider, fleet, module_path):
    config = fleet["dir"] / "clear.conf"
    write_config(config, [provider], provider.tls["ca"])
    config.write_text(config.read_text().replace("ssl start_tls\n", ""))
    services = service(fleet["dir"] / "pam-clear", module_path, config)
    ok, asked, text = login(services, "anyone", "123456")
    assert not ok and not asked
    assert "would send secrets in clear" in text and "Error in service module" in text, text  # PAM_SERVICE_ERR


def test_a_configuration_others_can_read_is_refused(provider, fleet, module_path):
    config = write_config(fleet["dir"] / "readable.conf", [provider], provider.tls["ca"])
    config.chmod(0o644)
    services = service(fleet["dir"] / "pam-readable", module_path, config)
    ok, asked, text = login(services, "anyone", "123456")
    assert not ok and not asked
    assert "owned by root with no access for group or others" in text, text


def test_libldap_is_loaded_only_where_ldap_is_configured(provider, fleet, module_path):
    """Read from the host process itself while it waits at the prompt."""
    plain = private_service_dir(fleet["dir"] / "pam-plain", {"otp-fleet": f"auth required {module_path}\n"})
    for services, expected in ((plain, False), (fleet["service"], True)):
        host = Host(services, "someone")
        assert host.wait_for_prompt(), host.seen
        maps = Path(f"/proc/{host.process.pid}/maps").read_text()
        host.answer("123456")
        host.result()
        assert ("libldap" in maps) is expected


def test_without_the_assertion_several_hosts_win(provider):
    """Negative control: the same barrier and count as the races above,
    with each host's claim made by ldapmodify. Without the Assertion control
    (read the step, then replace it) several hosts win the same step; with
    it (`-e !assert=`) exactly one does. So the race is real, and the count
    would see a module that claimed without the assertion."""
    user = enrol(provider)

    def round_of(with_assertion: bool, step: int) -> int:
        barrier = threading.Barrier(16)
        wins = []

        def host():
            barrier.wait()
            current = provider.attribute(user.token_dn, "oathTOTPLastTimeStep")
            if current is not None and int(current) >= step:
                return
            extra = ["-e", f"!assert=(!(oathTOTPLastTimeStep>={step}))"] if with_assertion else []
            result = provider.modify(
                f"dn: {user.token_dn}\nchangetype: modify\nreplace: oathTOTPLastTimeStep\n"
                f"oathTOTPLastTimeStep: {step}\n", *extra, check=False)
            if result.returncode == 0:
                wins.append(1)

        threads = [threading.Thread(target=host) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return len(wins)

    unguarded = [round_of(False, 1000 + index) for index in range(5)]
    guarded = [round_of(True, 2000 + index) for index in range(5)]
    print(f"winners per round, read-then-replace: {unguarded}; with the assertion: {guarded}")
    assert max(unguarded) > 1, unguarded
    assert guarded == [1] * 5, guarded
