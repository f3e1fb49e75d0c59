"""otpctl revoke, run as a program: on a terminal it says what the user's
login becomes and asks first (driven here through a real pseudo-terminal
with pexpect); a script gives --yes; without either nothing is deleted.
What it says of the login is then checked against the release module."""

import subprocess

import pexpect
import pytest

from otpctl_support import DEFAULT_DIRECTORY, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, assert_fails
from rigs.pamstack import pamtester, private_service_dir, unique_service


def spawn_revoke(otpctl_path, name, *options):
    child = pexpect.spawn(str(otpctl_path), ["revoke", name, *options], encoding="utf-8", timeout=15)
    child.expect(rf"Delete {name}'s secret\? \[y/N\] ")
    return child, child.before


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


def test_the_question_says_what_the_login_becomes(enroll, otpctl_path):
    enrolled = enroll()
    child, asked = spawn_revoke(otpctl_path, enrolled.name)
    text = " ".join(asked.split())
    assert f"This deletes {enrolled.path}" in text, asked
    assert "otpctl cannot see" in text
    assert f"a pam_otp line with nullok lets {enrolled.name} in with the password alone" in text, asked
    assert f"a pam_otp line without nullok refuses {enrolled.name} until enrolled again" in text, asked
    child.sendline("n")
    status, said = finish(child)
    assert status == EXIT_REFUSED and "not confirmed" in said, said
    assert enrolled.path.exists()


@pytest.mark.parametrize("answer", ["", "no", "yes please", "nein"])
def test_anything_but_yes_keeps_the_secret(enroll, otpctl_path, answer):
    enrolled = enroll()
    child, _ = spawn_revoke(otpctl_path, enrolled.name)
    child.sendline(answer)
    status, _ = finish(child)
    assert status == EXIT_REFUSED
    assert enrolled.path.exists()


def test_end_of_input_keeps_the_secret(enroll, otpctl_path):
    enrolled = enroll()
    child, _ = spawn_revoke(otpctl_path, enrolled.name)
    child.sendeof()
    status, _ = finish(child)
    assert status == EXIT_REFUSED
    assert enrolled.path.exists()


@pytest.mark.parametrize("answer", ["y", "YES", " yes "])
def test_yes_deletes_and_says_what_the_login_is_now(enroll, otpctl_path, answer):
    enrolled = enroll()
    child, _ = spawn_revoke(otpctl_path, enrolled.name)
    child.sendline(answer)
    status, said = finish(child)
    assert status == EXIT_OK, said
    assert not enrolled.path.exists()
    assert f"Revoked {enrolled.name}: removed {enrolled.path}." in said
    assert "with the password alone" in said and "until enrolled again" in said


def test_without_a_terminal_it_refuses_unless_yes(enroll, otpctl, otpctl_path):
    enrolled = enroll()
    # No terminal on standard input: a pipe that would even say yes.
    result = subprocess.run([str(otpctl_path), "revoke", enrolled.name], input="yes\n", capture_output=True, text=True)
    assert_fails(result, EXIT_USAGE, "confirmation on a terminal", "--yes")
    assert enrolled.path.exists()
    result = otpctl("revoke", enrolled.name, "--yes")
    assert result.returncode == EXIT_OK, result.stderr
    assert "[y/N]" not in result.stderr and result.stderr == ""
    assert result.stdout.startswith(f"Revoked {enrolled.name}: removed {enrolled.path}.\n")
    assert "nullok" in result.stdout
    assert not enrolled.path.exists()


def test_yes_on_a_terminal_asks_nothing(enroll, otpctl_path):
    enrolled = enroll()
    child = pexpect.spawn(str(otpctl_path), ["revoke", enrolled.name, "--yes"], encoding="utf-8", timeout=15)
    status, said = finish(child)
    assert status == EXIT_OK and "[y/N]" not in said, said
    assert not enrolled.path.exists()


def test_a_malformed_file_can_be_revoked(users, otpctl):
    account = users.create()
    path = DEFAULT_DIRECTORY / account.pw_name
    path.write_bytes(b"NOT*BASE32!\n")
    path.chmod(0o600)
    assert otpctl("revoke", account.pw_name, "--yes").returncode == EXIT_OK
    assert not path.exists()


@pytest.mark.parametrize("nullok", [True, False], ids=["nullok", "without-nullok"])
def test_what_revoke_says_is_what_the_module_does(enroll, otpctl, module_path, tmp_path, nullok):
    # The stack of the recipes, reduced to the module's line and the
    # pam_permit.so that gives the stack its success.
    enrolled = enroll()
    module_line = f"auth required {module_path}" + (" nullok" if nullok else "")
    services = private_service_dir(tmp_path / "pam-services", {})
    service = unique_service("otpctl-revoke")
    (services / service).write_text(f"{module_line}\nauth required pam_permit.so\n")
    assert otpctl("revoke", enrolled.name, "--yes").returncode == EXIT_OK
    result = pamtester(services, service, enrolled.name, ["123456"])
    if nullok:
        assert result.authenticated and result.count("Verification code: ") == 0, result
    else:
        assert not result.authenticated, result
