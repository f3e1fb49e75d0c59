"""otpctl token add|list|remove|rename --ldap and import --ldap against a
real slapd, with the administrator's bind; the tokens they write log in
through the real libpam with ldap= (the hosts' own bind).

A token's name is its entry's oathTokenIdentifier; its DN (cn=USER-N)
never changes, so a rename is one modify."""

import os
import re
import time
import urllib.parse
from pathlib import Path

import pexpect
import pyotp
import pytest

from rigs import slapd
from fleet_support import login, person

FIXTURES = Path(__file__).resolve().parent.parent / "otpctl" / "fixtures"
SERIAL = "987654321"
RFC4226_SECRET = b"12345678901234567890"
# RFC 4226 Appendix D: the dynamic truncation for counters 0..3.
RFC4226_TRUNCATED = [1284755224, 1094287082, 137359152, 1726969429]


def rfc4226_code(counter, digits=8):
    return f"{RFC4226_TRUNCATED[counter] % 10**digits:0{digits}d}"


def owned(provider, name):
    """The user's token entries as the directory holds them: {dn: attributes}."""
    text = provider.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-b", slapd.TOKENS,
                         f"(owner=uid={name},{slapd.PEOPLE})", "*").stdout
    entries = {}
    for block in text.strip().split("\n\n"):
        if not block.strip():
            continue
        lines = block.splitlines()
        entries[lines[0].split(": ", 1)[1]] = "\n".join(lines[1:])
    return entries


def uri_of(output):
    return re.search(r"otpauth://\S+", output).group(0)


def test_token_add_list_rename_remove(provider, admin_config, hosts, otpctl, syslog, monkeypatch):
    # pam_wrapper hands the module's log lines to syslog(3), so to the sink.
    monkeypatch.setenv("PAM_WRAPPER_USE_SYSLOG", "1")
    name = "tok-carol"
    person(provider, name)
    assert otpctl("enroll", "--ldap", admin_config, name).returncode == 0
    added = otpctl("token", "add", "--ldap", admin_config, name, "phone", "--hotp", "--qr", "none")
    assert added.returncode == 0, added.stderr
    assert f"cn={name}-2,{slapd.TOKENS}" in added.stdout
    uri = uri_of(added.stdout)
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    phone = pyotp.HOTP(secret)
    assert "oathTokenIdentifier: phone" in owned(provider, name)[f"cn={name}-2,{slapd.TOKENS}"]
    # A code of the new token logs in on a host; the log names the token.
    syslog.clear()
    ok, asked, text = login(hosts, name, phone.at(1))
    assert asked and ok, text
    assert "token=phone" in syslog.text(), syslog.text()
    assert provider.attribute(f"cn={name}-2,{slapd.TOKENS}", "oathHOTPCounter") == "2"
    # A name taken is refused, and nothing is written.
    again = otpctl("token", "add", "--ldap", admin_config, name, "phone", "--qr", "none")
    assert again.returncode == 73 and len(owned(provider, name)) == 2, again.stderr
    # list: both names, kinds and state; never a secret.
    listed = otpctl("token", "list", "--ldap", admin_config, name)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^default\s+TOTP", listed.stdout, re.M) and re.search(r"^phone\s+HOTP\s+next=2", listed.stdout, re.M)
    assert secret not in listed.stdout and "oathSecret" not in listed.stdout
    as_json = otpctl("token", "list", "--ldap", admin_config, name, "--json")
    assert secret not in as_json.stdout and '"phone"' in as_json.stdout
    # rename: the DN stays, the name changes, the token still logs in.
    renamed = otpctl("token", "rename", "--ldap", admin_config, name, "phone", "tablet")
    assert renamed.returncode == 0, renamed.stderr
    assert "oathTokenIdentifier: tablet" in owned(provider, name)[f"cn={name}-2,{slapd.TOKENS}"]
    assert otpctl("token", "rename", "--ldap", admin_config, name, "tablet", "default").returncode == 73
    syslog.clear()
    ok, _, text = login(hosts, name, phone.at(2))
    assert ok, text
    assert "token=tablet" in syslog.text(), syslog.text()
    # remove: one goes; the last only with --force.
    assert otpctl("token", "remove", "--ldap", admin_config, name, "nosuch").returncode == 64
    removed = otpctl("token", "remove", "--ldap", admin_config, name, "default")
    assert removed.returncode == 0 and list(owned(provider, name)) == [f"cn={name}-2,{slapd.TOKENS}"], removed.stderr
    last = otpctl("token", "remove", "--ldap", admin_config, name, "tablet")
    assert last.returncode == 1 and "--force" in last.stderr and len(owned(provider, name)) == 1
    forced = otpctl("token", "remove", "--ldap", admin_config, name, "tablet", "--force")
    assert forced.returncode == 0 and owned(provider, name) == {}, forced.stderr
    ok, asked, _ = login(hosts, name, phone.at(3))
    assert asked and not ok


def test_token_add_confirm_writes_only_a_confirmed_token(provider, admin_config, hosts, otpctl_path):
    name = "tok-dave"
    person(provider, name)
    child = pexpect.spawn(str(otpctl_path), ["token", "add", "--ldap", str(admin_config), name, "laptop",
                                             "--qr", "none", "--confirm"], encoding="utf-8", timeout=15)
    child.expect(r"URI: (otpauth://\S+)")
    laptop = pyotp.parse_uri(child.match.group(1))
    child.expect("Enter the code the new token shows: ")
    assert owned(provider, name) == {}  # nothing unconfirmed in the directory
    confirming = laptop.now()
    child.sendline(confirming)
    child.expect("Code confirmed: token laptop")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(owned(provider, name)) == 1
    # The confirming code's step is used up across the fleet.
    ok, asked, _ = login(hosts, name, confirming)
    assert asked and not ok
    ok, _, text = login(hosts, name, laptop.at(time.time() + 30))
    assert ok, text


def test_import_pskc_into_the_directory_then_again_changes_nothing(provider, admin_config, hosts, otpctl):
    name = "tok-erin"
    person(provider, name)
    arguments = ["import", "pskc", FIXTURES / "rfc6030-figure3-plain.pskcxml", "--assign", f"{SERIAL}={name}",
                 "--ldap", admin_config]
    dry = otpctl(*arguments, "--dry-run")
    assert dry.returncode == 0 and "would add token default" in dry.stdout, dry.stdout + dry.stderr
    assert owned(provider, name) == {}
    imported = otpctl(*arguments)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    entries = owned(provider, name)
    assert len(entries) == 1, entries
    (dn, attributes), = entries.items()
    assert "oathHOTPCounter: 0" in attributes and "oathTokenIdentifier: default" in attributes
    # RFC 4226's codes for counter 0 and 1 log in through ldap=; the first
    # one's replay does not.
    ok, asked, text = login(hosts, name, rfc4226_code(0))
    assert asked and ok, text
    assert not login(hosts, name, rfc4226_code(0))[0]
    ok, _, text = login(hosts, name, rfc4226_code(1))
    assert ok, text
    before = owned(provider, name)
    again = otpctl(*arguments)
    assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout + again.stderr
    assert owned(provider, name) == before


def test_import_refuses_a_user_the_directory_does_not_know_and_writes_nothing(provider, admin_config, otpctl,
                                                                              tmp_path):
    known = "tok-frank"
    person(provider, known)
    users = tmp_path / "users.oath"
    users.write_text(f"HOTP {known} - 3132333435363738393031323334353637383930 5 254676 2024-05-01T12:34:56L\n"
                     "HOTP tok-nobody - 3132333435363738393031323334353637383931\n")
    refused = otpctl("import", "oath", users, "--ldap", admin_config)
    assert refused.returncode == 65 and "tok-nobody: refused" in refused.stdout, refused.stdout + refused.stderr
    assert owned(provider, known) == {}
    # The negative control: the known user alone is imported, with pam_oath's
    # counter 5 (the last code it accepted) kept as the next counter 6.
    users.write_text(f"HOTP {known} - 3132333435363738393031323334353637383930 5 254676 2024-05-01T12:34:56L\n")
    imported = otpctl("import", "oath", users, "--ldap", admin_config)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    (attributes,) = owned(provider, known).values()
    assert "oathHOTPCounter: 6" in attributes, attributes


def test_import_ga_keeps_the_used_step_and_says_the_scratch_codes_stay_behind(provider, admin_config, hosts, otpctl,
                                                                              users):
    account = users.create("tokga")
    name = account.pw_name
    person(provider, name)
    secret = pyotp.random_base32(32)
    now = time.time()
    home_file = Path(account.pw_dir) / ".google_authenticator"
    # As GA writes it after a login: the step of the code it accepted.
    home_file.write_text(f'{secret}\n" RATE_LIMIT 3 30\n" WINDOW_SIZE 3\n" DISALLOW_REUSE {int(now) // 30}\n'
                         '" TOTP_AUTH\n12345678\n')
    os.chown(home_file, account.pw_uid, account.pw_gid)
    home_file.chmod(0o400)
    imported = otpctl("import", "ga", name, "--ldap", admin_config)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "scratch codes" in imported.stdout and secret not in imported.stdout
    (attributes,) = owned(provider, name).values()
    assert f"oathTOTPLastTimeStep: {int(now) // 30}" in attributes, attributes
    # The code GA accepted stays refused across the fleet; the next one logs in.
    ok, asked, _ = login(hosts, name, pyotp.TOTP(secret).at(int(now)))
    assert asked and not ok
    ok, _, text = login(hosts, name, pyotp.TOTP(secret).at(int(now) + 30))
    assert ok, text
    assert home_file.exists()  # left alone without --remove-home-file
    again = otpctl("import", "ga", name, "--ldap", admin_config)
    assert again.returncode == 0 and "unchanged" in again.stdout and len(owned(provider, name)) == 1


def test_import_puts_a_users_entries_back_when_one_cannot_be_created(provider, admin_config, otpctl, tmp_path):
    """Every RDN the second token could take is occupied (by entries that
    are no one's tokens): its add fails, and the first token's entry, made
    already, is deleted again."""
    name = "tok-gina"
    person(provider, name)
    blockers = [f"cn={name}-{number},{slapd.TOKENS}" for number in range(2, 40)]
    provider.add("\n".join(f"dn: {dn}\nobjectClass: device\ncn: {dn[3:dn.index(',')]}\n" for dn in blockers))
    users = tmp_path / "users.oath"
    users.write_text(f"HOTP {name} - 3132333435363738393031323334353637383930\n"
                     f"HOTP {name} - 3132333435363738393031323334353637383931\n")
    failed = otpctl("import", "oath", users, "--ldap", admin_config)
    assert failed.returncode == 74 and "deleted again" in failed.stderr, failed.stdout + failed.stderr
    assert owned(provider, name) == {}
    # The negative control: room made, the same import creates both.
    provider.ldap("ldapdelete", *blockers)
    imported = otpctl("import", "oath", users, "--ldap", admin_config)
    assert imported.returncode == 0 and len(owned(provider, name)) == 2, imported.stdout + imported.stderr
