"""`otpctl import pskc`: RFC 6030's own examples imported, then the codes
RFC 4226 gives for their secret log in through the release module inside
the real libpam; hostile and broken containers refused with nothing
changed; --dry-run and a second run change nothing.

The three containers are Figures 3 (a plain value), 6 (AES-128-CBC under a
pre-shared key, with its MAC) and 7 (a key derived with PBKDF2 from a
passphrase) of RFC 6030, copied from the RFC. All three hold the secret
"12345678901234567890" of RFC 4226's Appendix D, 8 digits, counter 0."""

import pytest

from import_support import FIXTURES, assert_clear_refusal, assert_never_shows, assert_root_only, login, snapshot
from otpctl_support import EXIT_DATA, EXIT_OK

RFC4226_SECRET = b"12345678901234567890"
# RFC 4226 Appendix D: the decimal value of the dynamic truncation for
# counters 0..9; a code of d digits is its last d digits.
RFC4226_TRUNCATED = [1284755224, 1094287082, 137359152, 1726969429, 1640338314,
                     868254676, 1918287922, 82162583, 673399871, 645520489]
SERIAL = "987654321"


def rfc4226_code(counter, digits=8):
    return f"{RFC4226_TRUNCATED[counter] % 10**digits:0{digits}d}"


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "psk.hex"
    path.write_text("12345678901234567890123456789012\n")  # RFC 6030 section 6.1
    path.chmod(0o600)
    return path


@pytest.fixture
def passphrase_file(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text("qwerty\n")  # RFC 6030 section 6.2
    path.chmod(0o600)
    return path


def containers(key_file, passphrase_file):
    return {
        "plain": (FIXTURES / "rfc6030-figure3-plain.pskcxml", []),
        "pre-shared key": (FIXTURES / "rfc6030-figure6-preshared.pskcxml", ["--key-file", key_file]),
        "passphrase": (FIXTURES / "rfc6030-figure7-pbkdf2.pskcxml", ["--passphrase-file", passphrase_file]),
    }


@pytest.mark.parametrize("kind", ["plain", "pre-shared key", "passphrase"])
def test_rfc6030_examples_log_in_with_rfc4226_codes(kind, users, otpctl, store, module_login, key_file,
                                                    passphrase_file):
    path, extra = containers(key_file, passphrase_file)[kind]
    name = users.create().pw_name
    result = otpctl("import", "pskc", path, "--assign", f"{SERIAL}={name}", "--secret-dir", store, *extra)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{name}: created {store}/{name}" in result.stdout, result.stdout
    assert_never_shows(result.stdout + result.stderr, RFC4226_SECRET)
    assert_root_only(store / name)

    # Counter 0 is kept: RFC 4226's code for counter 0 (the token's very
    # first) logs in, once; then the next one. (With no_increment_hotp a
    # wrong code does not move the counter on, so each refusal below is
    # about that code alone.)
    assert "note:" not in result.stdout, result.stdout
    assert (store / name).read_text().count('" HOTP_COUNTER 0\n') == 1
    assert login(module_login, store, name, rfc4226_code(0), "no_increment_hotp")
    assert not login(module_login, store, name, rfc4226_code(0), "no_increment_hotp"), "a used code must not work twice"
    assert login(module_login, store, name, rfc4226_code(1), "no_increment_hotp")
    # (The imported file keeps enrol's rate limit of 3 attempts per 30 s:
    # these three are all this minute allows.)


def test_dry_run_writes_nothing_and_a_second_run_changes_nothing(users, otpctl, store, key_file):
    name = users.create().pw_name
    arguments = ["import", "pskc", FIXTURES / "rfc6030-figure6-preshared.pskcxml", "--assign", f"{SERIAL}={name}",
                 "--secret-dir", store, "--key-file", key_file]
    dry = otpctl(*arguments, "--dry-run")
    assert dry.returncode == EXIT_OK, dry.stderr
    assert f"{name}: would create {store}/{name}: HOTP, next counter 0, SHA1, 8 digits (serial {SERIAL})" in dry.stdout
    assert snapshot(store) == {}

    assert otpctl(*arguments).returncode == EXIT_OK
    before = snapshot(store)
    again = otpctl(*arguments)
    assert again.returncode == EXIT_OK, again.stderr
    assert f"{name}: unchanged" in again.stdout
    assert snapshot(store) == before


def test_a_user_with_another_secret_gets_the_token_added_or_replace(users, otpctl, store):
    """Without --replace the token is added beside the user's (named after
    its serial); with --replace a new file of the token alone replaces it."""
    name = users.create().pw_name
    other = store / name
    other.write_text("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
    other.chmod(0o600)
    arguments = ["import", "pskc", FIXTURES / "rfc6030-figure3-plain.pskcxml", "--assign", f"{SERIAL}={name}",
                 "--secret-dir", store]
    added = otpctl(*arguments)
    assert added.returncode == EXIT_OK, added.stderr
    assert f"{name}: added token {SERIAL} to {store}/{name}" in added.stdout, added.stdout
    text = other.read_text()
    assert text.startswith("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n") and f'" TOKEN {SERIAL} HOTP ' in text, text
    replaced = otpctl(*arguments, "--replace")
    assert replaced.returncode == EXIT_OK, replaced.stderr
    assert f"{name}: unchanged" in replaced.stdout, "the file holds the token: nothing to replace"
    other.write_text("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
    replaced = otpctl(*arguments, "--replace")
    assert replaced.returncode == EXIT_OK, replaced.stderr
    assert f"{name}: replaced {store}/{name}" in replaced.stdout, replaced.stdout
    assert "JBSWY3DP" not in other.read_text() and '" TOKEN ' not in other.read_text()


def hostile(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


BODY = ('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><DeviceInfo>'
        '<SerialNo>{serial}</SerialNo></DeviceInfo><Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">'
        '<Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>'
        '</KeyContainer>')


def external_entity(tmp_path):
    target = tmp_path / "outside"
    target.write_text("987654321")
    return ('<?xml version="1.0"?>\n'
            f'<!DOCTYPE KeyContainer [<!ENTITY serial SYSTEM "file://{target}">]>\n'
            + BODY.format(serial="&serial;"))


def billion_laughs(tmp_path):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    return '<?xml version="1.0"?>\n<!DOCTYPE KeyContainer [' + "".join(entities) + "]>\n" + BODY.format(serial="&lol9;")


def wrong_mac(tmp_path):
    text = (FIXTURES / "rfc6030-figure6-preshared.pskcxml").read_text()
    return text.replace("Su+NvtQfmvfJzF6bmQiJqoLRExc=", "Su+NvtQfmvfJzF6bmQiJqoLRFxc=")


def truncated(tmp_path):
    text = (FIXTURES / "rfc6030-figure6-preshared.pskcxml").read_text()
    return text[: len(text) * 2 // 3]


@pytest.mark.parametrize("make, message", [
    (external_entity, "DOCTYPE"),
    (billion_laughs, "DOCTYPE"),
    (wrong_mac, "the MAC of the secret is wrong"),
    (truncated, "not well-formed XML"),
], ids=["external-entity", "billion-laughs", "wrong-mac", "truncated"])
def test_hostile_containers_are_refused_and_change_nothing(make, message, users, otpctl, store, tmp_path, key_file):
    name = users.create().pw_name
    (store / name).write_text("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
    (store / name).chmod(0o600)
    before = snapshot(store)
    path = hostile(tmp_path, f"{make.__name__}.pskcxml", make(tmp_path))
    result = otpctl("import", "pskc", path, "--assign", f"{SERIAL}={name}", "--secret-dir", store,
                    "--key-file", key_file, "--replace")
    assert_clear_refusal(result, EXIT_DATA, message, "nothing was written")
    assert snapshot(store) == before
    assert_never_shows(result.stdout + result.stderr, RFC4226_SECRET)


def test_the_negative_control_the_same_file_unharmed_is_imported(users, otpctl, store, key_file):
    """The hostile cases above are the figure 6 file changed; unchanged, it
    goes in (so their refusals come from the change, not the setup)."""
    name = users.create().pw_name
    result = otpctl("import", "pskc", FIXTURES / "rfc6030-figure6-preshared.pskcxml", "--assign", f"{SERIAL}={name}",
                    "--secret-dir", store, "--key-file", key_file)
    assert result.returncode == EXIT_OK, result.stderr


def test_a_wrong_passphrase_or_key_is_refused(users, otpctl, store, tmp_path):
    name = users.create().pw_name
    wrong = tmp_path / "wrong"
    wrong.write_text("00112233445566778899aabbccddeeff\n")
    for path, option in [(FIXTURES / "rfc6030-figure6-preshared.pskcxml", "--key-file"),
                         (FIXTURES / "rfc6030-figure7-pbkdf2.pskcxml", "--passphrase-file")]:
        result = otpctl("import", "pskc", path, "--assign", f"{SERIAL}={name}", "--secret-dir", store, option, wrong)
        assert_clear_refusal(result, EXIT_DATA, "wrong key or passphrase")
    assert snapshot(store) == {}
