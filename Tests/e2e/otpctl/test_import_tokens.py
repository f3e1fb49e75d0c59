"""`otpctl import` with several tokens per user: two serials of one PSKC
file or two usersfile lines for one user become one file with named
tokens, and a code of each logs in through the release module inside the
real libpam (RFC 4226's code for counter 0 included); a token imported
into a user enrolled with `otpctl enroll` is added beside the user's token,
which keeps working; a second run changes nothing; a NAME the user's file
gives another secret is refused; a write that fails half-way takes the
tokens added before it out again, byte for byte; a GA home file moved
into an enrolled user joins as token `ga`, its used code still refused."""

import base64
import os
import re
import shutil
import subprocess
import time

import pyotp

from import_support import FIXTURES, assert_clear_refusal, assert_root_only, login, snapshot
from otpctl_support import EXIT_EXISTS, EXIT_OK, SecretFileText, oathtool_hotp, oathtool_totp
from rigs.codes import secret_of, totp

RFC4226_SECRET = b"12345678901234567890"
# RFC 4226 Appendix D, counters 0 and 1, as the 8-digit codes of RFC 6030's keys.
RFC4226_8 = [f"{1284755224 % 10**8:08d}", f"{1094287082 % 10**8:08d}"]
SERIAL = "987654321"
SPARE_SERIAL = "111111111"
SPARE_SECRET = b"abcdefghijklmnop"


def two_key_container(tmp_path):
    """RFC 6030's Figure 3 with a second KeyPackage: another serial and secret."""
    text = (FIXTURES / "rfc6030-figure3-plain.pskcxml").read_text()
    package = re.search(r"<KeyPackage>.*</KeyPackage>", text, re.S).group(0)
    second = package.replace(SERIAL, SPARE_SERIAL).replace(
        base64.b64encode(RFC4226_SECRET).decode(), base64.b64encode(SPARE_SECRET).decode())
    assert second != package
    path = tmp_path / "two.pskcxml"
    path.write_text(text.replace(package, package + second))
    return path


def b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def token_lines(path):
    return [values for key, values in SecretFileText.read(path).options if key == "TOKEN"]


def enrolled_in(store, enroll):
    """A user enrolled by `otpctl enroll` (TOTP, scratch codes), the file
    copied into the private store as root's 0600."""
    enrolled = enroll()
    shutil.copyfile(enrolled.path, store / enrolled.name)
    (store / enrolled.name).chmod(0o600)
    return enrolled


def test_two_serials_for_one_user_become_one_file_with_two_tokens(users, otpctl, store, module_login, tmp_path):
    name = users.create().pw_name
    arguments = ["import", "pskc", two_key_container(tmp_path), "--assign", f"{SERIAL}={name}:card",
                 "--assign", f"{SPARE_SERIAL}={name}", "--secret-dir", store]
    dry = otpctl(*arguments, "--dry-run")
    assert dry.returncode == EXIT_OK, dry.stderr
    assert (f"{name}: would create {store}/{name}: token card: HOTP, next counter 0, SHA1, 8 digits (serial {SERIAL}); "
            f"token {SPARE_SERIAL}: HOTP, next counter 0, SHA1, 8 digits (serial {SPARE_SERIAL})") in dry.stdout, dry.stdout
    assert snapshot(store) == {}

    result = otpctl(*arguments)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{name}: created {store}/{name}" in result.stdout
    assert_root_only(store / name)
    text = SecretFileText.read(store / name)
    # The primary in GA's layout at counter 0, named; the spare as a TOKEN line.
    assert text.option("HOTP_COUNTER") == ["0"] and text.option("TOKEN_NAME") == ["card"], text.raw
    assert [line[:2] for line in token_lines(store / name)] == [[SPARE_SERIAL, "HOTP"]]
    assert "counter=0" in token_lines(store / name)[0]

    # RFC 4226's code for counter 0 logs in (a factory-fresh token's first
    # code), then the spare's own counter-0 code, and a used code is refused.
    spare_code = oathtool_hotp(b32(SPARE_SECRET), 0, digits=8)
    assert login(module_login, store, name, RFC4226_8[0])
    assert login(module_login, store, name, spare_code)
    assert not login(module_login, store, name, RFC4226_8[0]), "a used code must not work twice"

    # Nothing changes on a second run.
    before = snapshot(store)
    again = otpctl(*arguments)
    assert again.returncode == EXIT_OK and f"{name}: unchanged" in again.stdout, again.stdout
    assert snapshot(store) == before


def test_a_usersfile_with_two_lines_for_one_user(users, otpctl, store, module_login, tmp_path):
    two, one = users.create().pw_name, users.create().pw_name
    hotp_secret, totp_secret, single_secret = (os.urandom(20) for _ in range(3))
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(f"HOTP {two} - {hotp_secret.hex()} 0\n"
                         f"HOTP {one} - {single_secret.hex()}\n"
                         f"HOTP/T30 {two} - {totp_secret.hex()}\n")
    result = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert result.returncode == EXIT_OK, result.stderr
    # Lines named in order; the user with one line gets it as "default".
    two_file = SecretFileText.read(store / two)
    assert two_file.option("TOKEN_NAME") == ["oath-1"] and two_file.secret_bytes == hotp_secret
    assert [line[:2] for line in token_lines(store / two)] == [["oath-2", "TOTP"]]
    assert SecretFileText.read(store / one).option("TOKEN_NAME") is None and token_lines(store / one) == []

    assert login(module_login, store, two, oathtool_hotp(b32(hotp_secret), 0))
    assert login(module_login, store, two, oathtool_totp(b32(totp_secret), int(time.time())))
    assert login(module_login, store, one, oathtool_hotp(b32(single_secret), 0))
    # Negative control: a code of neither token is refused.
    assert not login(module_login, store, two, oathtool_hotp(b32(single_secret), 1))


def test_an_enrolled_user_keeps_the_token_and_gets_the_imported_one(otpctl, store, module_login, enroll):
    enrolled = enrolled_in(store, enroll)
    name = enrolled.name
    before_bytes = (store / name).read_bytes()
    arguments = ["import", "pskc", FIXTURES / "rfc6030-figure3-plain.pskcxml", "--assign", f"{SERIAL}={name}:card",
                 "--secret-dir", store]
    dry = otpctl(*arguments, "--dry-run")
    assert dry.returncode == EXIT_OK, dry.stderr
    assert f"{name}: would add token card to {store}/{name}: HOTP, next counter 0, SHA1, 8 digits (serial {SERIAL})" \
        in dry.stdout, dry.stdout
    assert (store / name).read_bytes() == before_bytes

    result = otpctl(*arguments)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{name}: added token card to {store}/{name}" in result.stdout, result.stdout
    assert_root_only(store / name)
    # Everything the user had is still there, line for line (the secret,
    # rate limit, used codes, scratch codes); the token is one more line.
    after = (store / name).read_bytes().decode().split("\n")
    added = [line for line in after if line.startswith('" TOKEN card HOTP ')]
    assert len(added) == 1 and "counter=0" in added[0]
    assert "\n".join(line for line in after if line not in added).encode() == before_bytes

    # Nothing changes on a second run: bytes, inode, mtime.
    before = snapshot(store)
    again = otpctl(*arguments)
    assert again.returncode == EXIT_OK and f"{name}: unchanged" in again.stdout, again.stdout
    assert snapshot(store) == before

    # The old token still logs in, and so does the new one from counter 0.
    assert login(module_login, store, name, pyotp.TOTP(enrolled.file.secret).now())
    assert login(module_login, store, name, RFC4226_8[0])
    assert not login(module_login, store, name, RFC4226_8[0]), "a used code must not work twice"


def test_a_name_clash_with_another_secret_is_refused(otpctl, store, enroll):
    enrolled = enrolled_in(store, enroll)
    before = snapshot(store)
    result = otpctl("import", "pskc", FIXTURES / "rfc6030-figure3-plain.pskcxml", "--assign",
                    f"{SERIAL}={enrolled.name}:default", "--secret-dir", store)
    assert_clear_refusal(result, EXIT_EXISTS, f"{enrolled.name}: refused", "a token named default with another secret",
                         "nothing was written")
    assert snapshot(store) == before


def test_a_failed_write_takes_the_added_token_out_again(otpctl, store, enroll, tmp_path):
    """The second user's file is immutable (chattr +i), so the rename that
    would replace it fails after the first user's token was added: the
    first user's file is put back byte for byte. Without the flag (the
    negative control) the same import goes through."""
    first, failing = enrolled_in(store, enroll), enrolled_in(store, enroll)
    usersfile = tmp_path / "users.oath"
    usersfile.write_text(f"HOTP {first.name} - {os.urandom(20).hex()}\nHOTP {failing.name} - {os.urandom(20).hex()}\n")
    before = snapshot(store)
    subprocess.run(["chattr", "+i", store / failing.name], check=True)
    try:
        result = otpctl("import", "oath", usersfile, "--secret-dir", store)
    finally:
        subprocess.run(["chattr", "-i", store / failing.name], check=True)
    text = result.stdout + result.stderr
    assert result.returncode != EXIT_OK, text
    assert f"{first.name}: added token oath-1" in text and f"{failing.name}: failed" in text, text
    assert f"{first.name}: took the added tokens out" in text, text
    assert "the users written before it were put back" in text, text
    after = snapshot(store)
    assert set(after) == set(before)
    for name in (first.name, failing.name):
        assert after[name][0] == before[name][0], f"{name}'s file is back as it was"

    again = otpctl("import", "oath", usersfile, "--secret-dir", store)
    assert again.returncode == EXIT_OK, again.stdout + again.stderr
    assert all(token_lines(store / name)[0][0] == "oath-1" for name in (first.name, failing.name))


def test_a_ga_home_file_moved_into_an_enrolled_user_is_added_as_ga(otpctl, store, module_login, enroll, tmp_path):
    """The home file's token joins the user's as `ga`, with its used codes
    (the code GA accepted stays refused) and its scratch codes (the unused
    ones join the user's); the user's own token keeps working."""
    from test_import_ga import ga_enrol, ga_login

    enrolled = enrolled_in(store, enroll)
    name = enrolled.name
    home_file = ga_enrol(enrolled.account)
    ga_secret = secret_of(home_file)
    now = time.time()
    used = totp(ga_secret, now)
    assert ga_login(tmp_path, name, used)
    ga_codes = SecretFileText.read(home_file).scratch_codes
    user_codes = SecretFileText.read(store / name).scratch_codes

    result = otpctl("import", "ga", name, "--secret-dir", store)
    assert result.returncode == EXIT_OK, result.stderr
    assert f"{name}: added token ga to {store}/{name}" in result.stdout, result.stdout
    assert ga_secret not in result.stdout + result.stderr
    text = SecretFileText.read(store / name)
    assert text.secret == enrolled.file.secret and text.option("RATE_LIMIT")[:2] == ["3", "30"]
    assert text.scratch_codes == user_codes + [code for code in ga_codes if code not in user_codes]

    assert login(module_login, store, name, pyotp.TOTP(enrolled.file.secret).at(int(now)))
    assert not login(module_login, store, name, used), "the code GA accepted must stay refused"
    assert login(module_login, store, name, totp(ga_secret, now + 30))
