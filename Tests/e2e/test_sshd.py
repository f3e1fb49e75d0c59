"""pam_otp inside a real sshd on 127.0.0.1, driven by the real ssh client.
The PAM stacks are Debian's own /etc/pam.d/sshd with the README's recipe
applied (its `@include common-auth` replaced by the lines of
pam.d/password-then-code or pam.d/key-then-code, the module field pointed
at the build under test), so the session lines Debian keeps there
(pam_loginuid, pam_limits, pam_env, ...) run too.

Password + code (pam.d/password-then-code):
- the right password and the right code run a remote command;
- a wrong code is refused; a code used once is refused the second time,
  also when two logins present it at the same moment; a scratch code
  works once;
- an unenrolled user is asked for a code all the same, and refused;
- a wrong password is still followed by the code prompt (no password
  oracle), the login is refused, and the secret file is not touched, so
  no one without the password can use up the user's rate limit;
- a lock-out (rate limit, back-off) must not become a password oracle
  either: a right and a wrong password still see the same prompts;
- after wrong codes, the next interactive login tells the user so;
- the syslog line names user, service, remote host and result, and never
  the code, the password or the secret.

Roll-out (the recipe's note: `nullok` on the last auth line): users
without a secret file log in with their password alone; enrolled users
still need their code.

Key + code (pam.d/key-then-code, AuthenticationMethods
publickey,keyboard-interactive:pam):
- the key and the right code run the command; the key alone does not;
- without the key the code prompt is never reached.
"""

import os
import re
import stat
import subprocess
import time

import pytest

from rigs.accounts import enrolled
from rigs.codes import totp, wrong_totp
from rigs.debian import debian_stack
from rigs.pamstack import with_option_on_last
from rigs.sshd import SshServer, SshSession, ssh

COMMAND = 'echo "remote:$(id -un)"'


@pytest.fixture(scope="module")
def password_sshd(module_path, tmp_path_factory):
    server = SshServer(
        tmp_path_factory.mktemp("sshd-password"), debian_stack("sshd", "password-then-code", module_path),
        authentication_methods="keyboard-interactive",
    )
    with server:
        yield server


@pytest.fixture(scope="module")
def publickey_sshd(module_path, tmp_path_factory):
    server = SshServer(
        tmp_path_factory.mktemp("sshd-publickey"), debian_stack("sshd", "key-then-code", module_path),
        authentication_methods="publickey,keyboard-interactive:pam",
    )
    with server:
        yield server


@pytest.fixture(scope="module")
def rollout_sshd(module_path, tmp_path_factory):
    """The recipe as its roll-out note says: `nullok` on the last auth line."""
    server = SshServer(
        tmp_path_factory.mktemp("sshd-rollout"),
        with_option_on_last(debian_stack("sshd", "password-then-code", module_path), module_path, "nullok"),
        authentication_methods="keyboard-interactive",
    )
    with server:
        yield server


@pytest.fixture
def known_hosts(tmp_path):
    return tmp_path / "known_hosts"


@pytest.fixture
def account(users, otpctl):
    return enrolled(users, otpctl)


def login(server, account, known_hosts, identity=None, **answers):
    return ssh(server.port, account.name, COMMAND, answers, known_hosts, identity=identity)


def explain(attempt, server):
    return f"{attempt}\n--- sshd log ---\n{server.log_text()[-3000:]}"


class TestPasswordAndCode:
    def test_right_password_and_code_run_the_command(self, password_sshd, account, known_hosts):
        attempt = login(password_sshd, account, known_hosts, password=account.password, code=totp(account.secret))
        assert attempt.prompts == ["password", "code"], explain(attempt, password_sshd)
        assert attempt.succeeded, explain(attempt, password_sshd)
        assert f"remote:{account.name}" in attempt.output

    def test_wrong_code_is_refused(self, password_sshd, account, known_hosts):
        attempt = login(password_sshd, account, known_hosts, password=account.password, code=wrong_totp(account.secret))
        assert attempt.prompts == ["password", "code"], explain(attempt, password_sshd)
        assert not attempt.succeeded
        assert "remote:" not in attempt.output

    def test_replayed_code_is_refused(self, password_sshd, account, known_hosts):
        code = totp(account.secret)
        first = login(password_sshd, account, known_hosts, password=account.password, code=code)
        assert first.succeeded, explain(first, password_sshd)
        # The used step was saved, and the file is still root's alone.
        info = account.secret_file.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
        again = login(password_sshd, account, known_hosts, password=account.password, code=code)
        assert again.prompts == ["password", "code"], explain(again, password_sshd)
        assert not again.succeeded, "a code was accepted twice: " + explain(again, password_sshd)
        assert "remote:" not in again.output
        # The real client tells the user why, not only "Permission denied".
        assert "That code was already used; wait for the next one." in again.output, explain(again, password_sshd)
        # Refused for the reuse, not a lockout: the next step's code works.
        fresh = login(password_sshd, account, known_hosts, password=account.password,
                      code=totp(account.secret, at=time.time() + 30))
        assert fresh.succeeded, explain(fresh, password_sshd)

    def test_wrong_password_still_asks_for_a_code_and_leaves_the_secret_alone(
        self, password_sshd, account, known_hosts
    ):
        before = account.secret_file.read_bytes()
        attempt = login(password_sshd, account, known_hosts, password="not-" + account.password,
                        code=totp(account.secret))
        # The same prompts as with the right password: no password oracle.
        assert attempt.prompts == ["password", "code"], explain(attempt, password_sshd)
        assert not attempt.succeeded
        assert "remote:" not in attempt.output
        # The decoy line never reads or writes the secret: no attempt is
        # recorded, so no one without the password can lock the user out.
        assert account.secret_file.read_bytes() == before

    def test_locked_out_user_gets_the_same_prompts_for_a_right_and_a_wrong_password(
        self, password_sshd, account, known_hosts
    ):
        # Three wrong codes: the rate limit (3 per 30 s) and the back-off
        # after wrong codes in a row both hold now.
        for _ in range(3):
            assert not login(password_sshd, account, known_hosts, password=account.password,
                             code=wrong_totp(account.secret)).succeeded
        right = login(password_sshd, account, known_hosts, password=account.password, code=totp(account.secret))
        wrong = login(password_sshd, account, known_hosts, password="not-" + account.password,
                      code=totp(account.secret))
        assert not right.succeeded and not wrong.succeeded
        # Even now the answer to the password must not show whether it was
        # right (the promise of the decoy line).
        # Refused before the code prompt on both lines (the decoy mirrors the
        # real line's rate limit and back-off), so the prompts tell nothing.
        assert right.prompts == wrong.prompts == ["password"], f"right: {right}\nwrong: {wrong}"
        # The real client shows why, and the same words either way (the wait
        # may have ticked down a second between the two logins).
        said = [re.sub(r"in \d+ seconds?", "in N seconds", attempt.output) for attempt in (right, wrong)]
        assert "Too many wrong codes; try again in N seconds." in said[0], explain(right, password_sshd)
        assert said[0] == said[1], f"right: {right}\nwrong: {wrong}"

    def test_interactive_login_warns_about_wrong_codes_since_the_last_one(self, password_sshd, account, known_hosts):
        # sshd shows PAM's messages only to interactive logins (after the
        # banner, before the shell), so this one asks for a shell.
        assert not login(password_sshd, account, known_hosts, password=account.password,
                         code=wrong_totp(account.secret)).succeeded
        session = SshSession(password_sshd.port, account.name, None, known_hosts)
        try:
            assert session.next_prompt() == "password", session.attempt
            session.answer(account.password)
            assert session.next_prompt() == "code", session.attempt
            session.answer(totp(account.secret))
            session.answer("exit")
            attempt = session.finish()
        finally:
            session.close()
        assert attempt.succeeded, explain(attempt, password_sshd)
        assert "1 wrong verification code" in attempt.output, explain(attempt, password_sshd)

    def test_a_command_login_is_warned_about_wrong_codes_too(self, password_sshd, account, known_hosts):
        # Not only a pty shell: `ssh host cmd`, scp and git see the warning,
        # which sshd sends as the banner of the successful exchange.
        assert not login(password_sshd, account, known_hosts, password=account.password,
                         code=wrong_totp(account.secret)).succeeded
        attempt = login(password_sshd, account, known_hosts, password=account.password, code=totp(account.secret))
        assert attempt.succeeded, explain(attempt, password_sshd)
        assert "Warning: 1 wrong verification code was entered since your last login." in attempt.output, \
            explain(attempt, password_sshd)

    def test_one_code_in_two_concurrent_logins_lets_in_only_one(self, password_sshd, account, known_hosts):
        # Two sshd processes hold the same code at the same moment: the lock
        # around read-judge-write lets exactly one of them claim the step.
        sessions = [SshSession(password_sshd.port, account.name, COMMAND, known_hosts) for _ in range(2)]
        try:
            for session in sessions:
                assert session.next_prompt() == "password", session.attempt
                session.answer(account.password)
                assert session.next_prompt() == "code", session.attempt
            code = totp(account.secret)
            for session in sessions:
                session.answer(code)
            attempts = [session.finish() for session in sessions]
        finally:
            for session in sessions:
                session.close()
        assert sorted(attempt.succeeded for attempt in attempts) == [False, True], (
            f"{attempts}\n{password_sshd.log_text()[-3000:]}"
        )

    def test_scratch_code_works_once(self, password_sshd, account, known_hosts):
        scratch = account.scratch_codes[0]
        first = login(password_sshd, account, known_hosts, password=account.password, code=scratch)
        assert first.succeeded, explain(first, password_sshd)
        again = login(password_sshd, account, known_hosts, password=account.password, code=scratch)
        assert not again.succeeded, "a scratch code worked twice: " + explain(again, password_sshd)
        assert scratch not in account.secret_file.read_text().splitlines()

    def test_unenrolled_user_is_asked_for_a_code_and_refused(self, password_sshd, users, known_hosts):
        # No enrolment oracle: the same prompts as for an enrolled user.
        entry = users.create("otpnone")
        users.set_password(entry.pw_name, "pw-unenrolled")
        attempt = ssh(password_sshd.port, entry.pw_name, COMMAND, {"password": "pw-unenrolled", "code": "123456"},
                      known_hosts)
        assert attempt.prompts == ["password", "code"], explain(attempt, password_sshd)
        assert not attempt.succeeded

    def test_log_names_the_decision_and_never_the_code_or_password(self, password_sshd, account, known_hosts,
                                                                  syslog):
        syslog.clear()
        code = totp(account.secret)
        attempt = login(password_sshd, account, known_hosts, password=account.password, code=code)
        assert attempt.succeeded, explain(attempt, password_sshd)
        text = syslog.text()
        decisions = [line for line in text.splitlines() if f"user={account.name}" in line]
        assert any(
            f"service={password_sshd.service}" in line and "rhost=127.0.0.1" in line and "result=success" in line
            for line in decisions
        ), text
        assert code not in text and account.password not in text and account.secret not in text


@pytest.fixture
def user_key(account, tmp_path):
    """An ed25519 key pair: the private half for the client (root's, 0600),
    the public half in the user's ~/.ssh/authorized_keys."""
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    ssh_dir = account.home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    authorized.write_text(key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    for path in (ssh_dir, authorized):
        os.chown(path, account.uid, account.gid)
    return key


class TestKeyAndCode:
    def test_key_and_right_code_run_the_command(self, publickey_sshd, account, user_key, known_hosts):
        attempt = login(publickey_sshd, account, known_hosts, identity=user_key, code=totp(account.secret))
        # key-then-code asks for the code only, never a password.
        assert attempt.prompts == ["code"], explain(attempt, publickey_sshd)
        assert attempt.succeeded, explain(attempt, publickey_sshd)
        assert f"remote:{account.name}" in attempt.output

    def test_key_without_code_is_refused(self, publickey_sshd, account, user_key, known_hosts):
        attempt = login(publickey_sshd, account, known_hosts, identity=user_key, code="")
        assert attempt.prompts == ["code"], explain(attempt, publickey_sshd)
        assert not attempt.succeeded
        assert "remote:" not in attempt.output

    def test_key_with_wrong_code_is_refused(self, publickey_sshd, account, user_key, known_hosts):
        attempt = login(publickey_sshd, account, known_hosts, identity=user_key, code=wrong_totp(account.secret))
        assert attempt.prompts == ["code"], explain(attempt, publickey_sshd)
        assert not attempt.succeeded
        assert "remote:" not in attempt.output

    def test_without_the_key_the_code_prompt_is_never_reached(self, publickey_sshd, account, known_hosts):
        attempt = login(publickey_sshd, account, known_hosts, password=account.password, code=totp(account.secret))
        assert attempt.prompts == [], explain(attempt, publickey_sshd)
        assert not attempt.succeeded
        assert "remote:" not in attempt.output


class TestRollOutWithNullok:
    """pam.d/password-then-code: "add `nullok` to the last auth line while users enrol;
    users without a secret file are let through on their password alone"."""

    def test_unenrolled_user_logs_in_with_the_password_alone(self, rollout_sshd, users, known_hosts):
        entry = users.create("otpnone")
        users.set_password(entry.pw_name, "pw-unenrolled")
        attempt = ssh(rollout_sshd.port, entry.pw_name, COMMAND, {"password": "pw-unenrolled"}, known_hosts)
        assert attempt.prompts == ["password"], explain(attempt, rollout_sshd)
        assert attempt.succeeded, explain(attempt, rollout_sshd)
        assert f"remote:{entry.pw_name}" in attempt.output

    def test_unenrolled_user_with_a_wrong_password_is_refused(self, rollout_sshd, users, known_hosts):
        entry = users.create("otpnone")
        users.set_password(entry.pw_name, "pw-unenrolled")
        attempt = ssh(rollout_sshd.port, entry.pw_name, COMMAND, {"password": "wrong", "code": "123456"}, known_hosts)
        assert attempt.prompts == ["password", "code"], explain(attempt, rollout_sshd)
        assert not attempt.succeeded

    def test_enrolled_user_still_needs_the_code(self, rollout_sshd, account, known_hosts):
        refused = login(rollout_sshd, account, known_hosts, password=account.password, code=wrong_totp(account.secret))
        assert not refused.succeeded, explain(refused, rollout_sshd)
        accepted = login(rollout_sshd, account, known_hosts, password=account.password, code=totp(account.secret))
        assert accepted.succeeded, explain(accepted, rollout_sshd)
