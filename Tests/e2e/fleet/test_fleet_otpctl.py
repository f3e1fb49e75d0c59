"""otpctl --ldap FILE: enrol, status, unlock and revoke on the directory
with the administrator's bind; the token it writes logs in through the
module, and what the module writes (steps, wrong codes) shows in status."""

import re
import urllib.parse

import pyotp
import pytest

from rigs import slapd
from fleet_support import login, person, write_config


def test_enrol_login_status_unlock_revoke(provider, admin_config, hosts, otpctl):
    name = "ctl-alice"
    person(provider, name)
    enrolled = otpctl("enroll", "--ldap", admin_config, name)
    assert enrolled.returncode == 0, enrolled.stderr
    assert f"cn={name}-1,{slapd.TOKENS}" in enrolled.stdout
    uri = re.search(r"otpauth://\S+", enrolled.stdout).group(0)
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    # The host's bind reads what the administrator wrote; the code logs in.
    code = pyotp.TOTP(secret).now()
    ok, asked, text = login(hosts, name, code)
    assert asked and ok, text
    status = otpctl("status", "--ldap", admin_config, name)
    assert status.returncode == 0 and "TOTP, last step" in status.stdout, status.stdout
    # Two wrong codes on two hosts, seen in status and cleared by unlock.
    wrong = f"{(int(code) + 500000) % 1000000:06d}"
    for _ in range(2):
        assert not login(hosts, name, wrong)[0]
    assert "2 wrong codes in a row" in otpctl("status", "--ldap", admin_config, name).stdout
    unlocked = otpctl("unlock", "--ldap", admin_config, name)
    assert unlocked.returncode == 0 and "cleared 2 wrong codes" in unlocked.stdout, unlocked.stdout
    assert provider.attribute(f"cn={name}-1,{slapd.TOKENS}", "oathFailureCount") == "0"
    # A second token: both work.
    second = otpctl("enroll", "--ldap", admin_config, "--hotp", name)
    assert f"cn={name}-2,{slapd.TOKENS}" in second.stdout, second.stdout
    uri = re.search(r"otpauth://\S+", second.stdout).group(0)
    hotp_secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    counter = int(urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["counter"][0])
    ok, _, text = login(hosts, name, pyotp.HOTP(hotp_secret).at(counter))
    assert ok, text
    revoked = otpctl("revoke", "--ldap", admin_config, "--yes", name)
    assert revoked.returncode == 0, revoked.stderr
    assert otpctl("status", "--ldap", admin_config, name).returncode == 66
    ok, asked, _ = login(hosts, name, pyotp.TOTP(secret).now())
    assert asked and not ok


def test_unknown_user_and_unreachable_directory(provider, admin_config, otpctl, tmp_path):
    assert otpctl("status", "--ldap", admin_config, "nobody-here").returncode == 67
    dead = write_config(tmp_path / "dead.conf", [f"ldap://127.0.0.1:{slapd.free_port()}/"], provider.tls["ca"])
    assert otpctl("status", "--ldap", dead, "anyone").returncode == 74


def test_users_read_nothing_of_their_tokens(provider, admin_config, otpctl):
    """The shipped ACL: a user bound as themselves sees no token entry."""
    name = "ctl-bob"
    provider.add(f"dn: uid={name},{slapd.PEOPLE}\nobjectClass: inetOrgPerson\nuid: {name}\ncn: {name}\nsn: {name}\n"
                 f"userPassword: bob-password\n")
    assert otpctl("enroll", "--ldap", admin_config, name).returncode == 0
    seen = provider.ldap_as(f"uid={name},{slapd.PEOPLE}", "bob-password", "ldapsearch", "-LLL", "-b", slapd.TOKENS,
                            f"(owner=uid={name},{slapd.PEOPLE})", "*")
    assert "oathSecret" not in seen.stdout and "dn:" not in seen.stdout
