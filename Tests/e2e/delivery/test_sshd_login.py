"""Codes by e-mail or SMS: a real sshd: the code from the mail logs in, and
a wrong password (the decoy line) sends nothing and shows the same words."""

from pathlib import Path

import pytest

from delivery_support import (COMMAND, MAIL_FROM, ON_ITS_WAY, PROMPT, SENT_CODE_ACCEPTED, SUBJECT, TOO_SOON,
                              Recipient, logged_exactly, program_done, sent, wait_for)
from rigs.debian import debian_stack
from rigs.pamstack import module_field
from rigs.sent_codes import appears, code_in_mail, sent_code_record
from rigs.sshd import PROMPTS, SshServer, SshSession


def with_options_on_pam_otp(stack: str, module: Path, *options) -> str:
    """The stack with OPTIONS added to every pam_otp line (the decoy must
    behave as the real line does, so both get them)."""
    lines = [f"{line} {' '.join(options)}" if module_field(line) == str(module) else line
             for line in stack.splitlines()]
    assert sum(module_field(line) == str(module) for line in lines) == 2, stack
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mail_sshd(module_path, deliver_email, tmp_path_factory):
    stack = with_options_on_pam_otp(debian_stack("sshd", "password-then-code", module_path), module_path,
                                    f"deliver={deliver_email}")
    server = SshServer(tmp_path_factory.mktemp("sshd-deliver"), stack, authentication_methods="keyboard-interactive")
    with server:
        yield server


assert PROMPTS["Verification code: "] == "code" and PROMPT == "Verification code: "


class Login:
    """One ssh login, prompt by prompt, keeping what ssh showed with each
    prompt (sshd puts PAM's messages in front of the next prompt)."""

    def __init__(self, server, recipient: Recipient, known_hosts: Path):
        self.session = SshSession(server.port, recipient.name, COMMAND, known_hosts)
        # ssh puts "(USER@HOST) " in front of each line of a keyboard-interactive prompt.
        self.origin = f"({recipient.name}@127.0.0.1) "
        self.shown = []

    def next_prompt(self):
        kind = self.session.next_prompt()
        if kind is not None:
            for line in self.session.child.before.replace("\r", "\n").split("\n"):
                line = line.removeprefix(self.origin)
                # The client's own note about a new host key, not the module's.
                if line and not line.startswith("Warning: Permanently added"):
                    self.shown.append(line)
            self.shown.append(kind)
        return kind

    def answer(self, text: str):
        self.session.answer(text)

    def close(self):
        self.session.close()

    @property
    def attempt(self):
        return self.session.attempt


def explain(attempt, server) -> str:
    return f"{attempt}\n--- sshd log ---\n{server.log_text()[-3000:]}"


class TestSshLoginByMail:
    def test_the_code_from_the_mail_logs_in(self, mail_sshd, deliver_email, smtp, enrol, tmp_path, syslog):
        user = enrol("email")
        login = Login(mail_sshd, user, tmp_path / "known_hosts")
        try:
            assert login.next_prompt() == "password", explain(login.attempt, mail_sshd)
            login.answer(user.account.password)
            # The code was sent at the start of pam_otp's turn, without a word.
            assert login.next_prompt() == "code", explain(login.attempt, mail_sshd)
            [mail] = smtp.take()
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            code = code_in_mail(mail)
            # Only a salted hash of the code is kept, never the code.
            record = sent_code_record(user.account.secret_file)
            assert record is not None and record.matches(code)
            assert not appears(code, user.account.secret_file.read_text())
            login.answer(code)
            assert login.next_prompt() is None
        finally:
            login.close()
        attempt = login.attempt
        assert attempt.succeeded, explain(attempt, mail_sshd)
        assert login.shown == ["password", "code"], login.shown
        assert f"remote:{user.name}" in attempt.output
        assert mail["To"] == user.address and mail["X-RcptTo"] == user.address
        assert mail["From"] == MAIL_FROM and mail["Subject"] == SUBJECT
        # PAM_SERVICE reached the program: the mail names the service.
        assert f"code for {mail_sshd.service} on " in mail.get_payload()
        assert smtp.unseen() == []
        # Used: the record is gone.
        assert sent_code_record(user.account.secret_file) is None
        logged_exactly(syslog, user.name, [sent(user), SENT_CODE_ACCEPTED])

    def test_a_wrong_password_sends_no_mail_and_shows_what_a_right_one_does(self, mail_sshd, deliver_email, smtp, enrol, tmp_path,
                                                                             syslog):
        """A user without an app and with an address: with a wrong password
        the decoy line prompts, answers Enter with the same words, refuses,
        and sends nothing; with the right one the real line does the same
        up to the code, which logs in."""
        user = enrol("email")
        before = user.account.secret_file.read_bytes()
        wrong = Login(mail_sshd, user, tmp_path / "known_hosts")
        try:
            assert wrong.next_prompt() == "password"
            wrong.answer("not-" + user.account.password)
            assert wrong.next_prompt() == "code", explain(wrong.attempt, mail_sshd)
            wrong.answer("")
            assert wrong.next_prompt() == "code", explain(wrong.attempt, mail_sshd)
            wrong.answer("123456")
            assert wrong.next_prompt() is None
        finally:
            wrong.close()
        assert not wrong.attempt.succeeded
        assert "remote:" not in wrong.attempt.output
        assert smtp.unseen() == []
        assert user.account.secret_file.read_bytes() == before
        right = Login(mail_sshd, user, tmp_path / "known_hosts")
        try:
            assert right.next_prompt() == "password"
            right.answer(user.account.password)
            assert right.next_prompt() == "code", explain(right.attempt, mail_sshd)
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            right.answer("")
            assert right.next_prompt() == "code", explain(right.attempt, mail_sshd)
            [mail] = smtp.take()
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            right.answer(code_in_mail(mail))
            assert right.next_prompt() is None
        finally:
            right.close()
        assert right.attempt.succeeded, explain(right.attempt, mail_sshd)
        assert wrong.shown == right.shown == ["password", "code", ON_ITS_WAY, "code"], (wrong.shown, right.shown)
        assert smtp.unseen() == []
        logged_exactly(syslog, user.name, [
            'result=decoy reason="earlier module failed" real_line="refused: wrong code" prompted=yes',
            sent(user), TOO_SOON, SENT_CODE_ACCEPTED,
        ])
