"""otpctl, run as a program: several tokens per user (token add, list,
remove, rename; code, uri, qr and verify with --token), and their codes
through the release module inside the real libpam."""

import json
import time

import pexpect
import pyotp

from otpctl_support import (
    EXIT_EXISTS,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    SecretFileText,
    assert_fails,
    assert_no_secret,
    oathtool_hotp,
    oathtool_totp,
    wrong_totp_code,
)
from qr_decode import zbar_decode


def add(otpctl, user, name, *options):
    result = otpctl("token", "add", user, name, "--qr", "none", "--json", *options)
    assert result.returncode == EXIT_OK, result.stderr
    return json.loads(result.stdout)


def listed(otpctl, user):
    result = otpctl("token", "list", user, "--json")
    assert result.returncode == EXIT_OK, result.stderr
    return {token["name"]: token for token in json.loads(result.stdout)["tokens"]}


def test_a_code_of_each_token_logs_in_and_list_says_when(enroll, otpctl, module_login, scratch_dir):
    enrolled = enroll()
    png = scratch_dir / "tablet.png"
    added = add(otpctl, enrolled.name, "tablet", "--qr-png", png)
    # The PNG holds the URI shown, which holds the new token's own secret.
    assert zbar_decode(png) == [added["uri"]]
    tablet = pyotp.parse_uri(added["uri"])
    assert tablet.secret != enrolled.file.secret
    # GA's lines are as enroll wrote them; the token is one more line.
    text = enrolled.file
    assert text.option("TOKEN")[:2] == ["tablet", "TOTP"]
    assert f"secret={tablet.secret}" in text.option("TOKEN")

    primary = pyotp.TOTP(enrolled.file.secret)
    assert module_login(enrolled.name, primary.now()).authenticated
    assert module_login(enrolled.name, tablet.now()).authenticated
    # Each token's code is used up on its own.
    assert not module_login(enrolled.name, tablet.now()).authenticated
    status = json.loads(otpctl("status", enrolled.name, "--json").stdout)
    assert [token["name"] for token in status["tokens"]] == ["default", "tablet"]
    assert "tablet:" in otpctl("status", enrolled.name).stdout
    tokens = listed(otpctl, enrolled.name)
    assert list(tokens) == ["default", "tablet"]
    assert tokens["tablet"]["last_used"] >= int(time.time()) - 5
    assert tokens["tablet"]["type"] == "totp" and tokens["tablet"]["primary"] is False
    for shown in (otpctl("token", "list", enrolled.name).stdout, otpctl("token", "list", enrolled.name, "--json").stdout,
                  otpctl("status", enrolled.name).stdout, otpctl("status", enrolled.name, "--json").stdout):
        assert_no_secret(shown, enrolled.file)
        assert tablet.secret not in shown


def test_hotp_token_from_counter_zero_with_oathtool_codes(enroll, otpctl, module_login):
    enrolled = enroll()
    secret = pyotp.parse_uri(add(otpctl, enrolled.name, "yubikey-5", "--hotp", "--counter", "0")["uri"]).secret
    assert otpctl("code", enrolled.name, "--token", "yubikey-5").stdout == oathtool_hotp(secret, 0) + "\n"
    assert module_login(enrolled.name, oathtool_hotp(secret, 0)).authenticated
    verified = otpctl("verify", enrolled.name, oathtool_hotp(secret, 1))
    assert verified.returncode == EXIT_OK and "token yubikey-5" in verified.stdout, verified
    assert listed(otpctl, enrolled.name)["yubikey-5"]["counter"] == 2


def test_code_uri_and_qr_name_a_token(enroll, otpctl, scratch_dir):
    enrolled = enroll()
    added = add(otpctl, enrolled.name, "tablet", "--algorithm", "SHA256", "--digits", "8", "--period", "60")
    secret = pyotp.parse_uri(added["uri"]).secret
    at = 1_234_567_890
    result = otpctl("code", enrolled.name, "--token", "tablet", "--at", at)
    assert result.stdout == oathtool_totp(secret, at, "SHA256", 8, 60) + "\n", result
    assert otpctl("uri", enrolled.name, "--token", "tablet").stdout.strip() == added["uri"]
    png = scratch_dir / "qr.png"
    assert otpctl("qr", enrolled.name, "--token", "tablet", "--png", png).returncode == EXIT_OK
    assert zbar_decode(png) == [added["uri"]]
    # Without --token: the first token, as before.
    assert pyotp.parse_uri(otpctl("uri", enrolled.name).stdout.strip()).secret == enrolled.file.secret
    assert_fails(otpctl("code", enrolled.name, "--token", "phone"), EXIT_USAGE, "no token named phone")


def test_rename_and_remove(enroll, otpctl, module_login):
    enrolled = enroll()
    add(otpctl, enrolled.name, "tablet")
    assert otpctl("token", "rename", enrolled.name, "default", "phone").returncode == EXIT_OK
    assert enrolled.file.option("TOKEN_NAME") == ["phone"]
    assert_fails(otpctl("token", "rename", enrolled.name, "phone", "tablet"), EXIT_EXISTS, "tablet")
    assert_fails(otpctl("token", "add", enrolled.name, "tablet", "--qr", "none"), EXIT_EXISTS, "tablet")
    assert_fails(otpctl("token", "add", enrolled.name, "bad/name", "--qr", "none"), EXIT_USAGE, "token name")
    tablet_secret = enrolled.file.option("TOKEN")[2].removeprefix("secret=")

    # Removing the first token moves the other into GA's layout.
    before = enrolled.file
    assert otpctl("token", "remove", enrolled.name, "phone").returncode == EXIT_OK
    after = enrolled.file
    assert after.secret == tablet_secret and after.option("TOKEN") is None
    assert after.scratch_codes == before.scratch_codes, "the scratch codes are the user's"
    assert module_login(enrolled.name, pyotp.TOTP(tablet_secret).now()).authenticated

    # The last token goes only with --force, and the file with it.
    raw = enrolled.path.read_bytes()
    assert_fails(otpctl("token", "remove", enrolled.name, "tablet"), EXIT_REFUSED, "last token", "--force")
    assert enrolled.path.read_bytes() == raw
    assert otpctl("token", "remove", enrolled.name, "tablet", "--force").returncode == EXIT_OK
    assert not enrolled.path.exists()


def test_confirm_keeps_the_token_inactive_until_a_code_of_it(enroll, otpctl, otpctl_path, module_login):
    enrolled = enroll()
    child = pexpect.spawn(
        str(otpctl_path), ["token", "add", enrolled.name, "tablet", "--qr", "none", "--confirm"],
        encoding="utf-8", timeout=15)
    child.expect(r"URI: (otpauth://\S+)")
    tablet = pyotp.parse_uri(child.match.group(1))
    child.expect("Enter the code the new token shows: ")
    # Written already, but inactive: the module refuses its codes.
    assert "active=no" in enrolled.file.option("TOKEN")
    assert listed(otpctl, enrolled.name)["tablet"]["active"] is False
    assert not module_login(enrolled.name, tablet.now()).authenticated
    child.sendline(wrong_totp_code(tablet))
    child.expect("That code is not right")
    confirming = tablet.now()
    child.sendline(confirming)
    child.expect("Code confirmed: token tablet is active")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_OK
    assert "active=no" not in enrolled.file.option("TOKEN")
    # The confirming code is used up; the next one logs in.
    assert not module_login(enrolled.name, confirming).authenticated
    assert module_login(enrolled.name, tablet.at(time.time() + 30)).authenticated


def test_confirm_that_fails_leaves_no_token(enroll, otpctl, otpctl_path):
    enrolled = enroll()
    raw = enrolled.path.read_bytes()
    child = pexpect.spawn(
        str(otpctl_path), ["token", "add", enrolled.name, "tablet", "--qr", "none", "--confirm"],
        encoding="utf-8", timeout=15)
    child.expect(r"URI: (otpauth://\S+)")
    wrong = wrong_totp_code(pyotp.parse_uri(child.match.group(1)))
    for _ in range(3):
        child.expect("Enter the code the new token shows: ")
        child.sendline(wrong)
    child.expect("was not added")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_REFUSED
    assert enrolled.path.read_bytes() == raw


def test_a_user_who_is_not_enrolled_gets_no_token(users, otpctl):
    account = users.create()
    assert_fails(otpctl("token", "add", account.pw_name, "tablet", "--qr", "none"), 66, "not enrolled")
