"""Codes by e-mail or SMS: a real sshd: the code from the mail logs in."""

from pathlib import Path

import pytest

from delivery_support import COMMAND, MAIL_FROM, Recipient, SUBJECT, sent_prompt
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
    stack = with_options_on_pam_otp(debian_stack("sshd", "password-then-code", module_path), module_path, f"deliver={deliver_email}")
    server = SshServer(tmp_path_factory.mktemp("sshd-deliver"), stack, authentication_methods="keyboard-interactive")
    with server:
        yield server


def as_ssh_shows(text: str) -> str:
    """ssh prints a prompt's non-ASCII bytes as \\ooo in the C locale (the rig's)."""
    return "".join(chr(byte) if byte < 0x80 else f"\\{byte:03o}" for byte in text.encode())


def ssh_login(server, recipient: Recipient, known_hosts: Path) -> SshSession:
    session = SshSession(server.port, recipient.name, COMMAND, known_hosts)
    session.prompts = {**PROMPTS, as_ssh_shows(sent_prompt(recipient.masked)): "sent"}
    return session


def explain(attempt, server) -> str:
    return f"{attempt}\n--- sshd log ---\n{server.log_text()[-3000:]}"


class TestSshLoginByMail:
    def test_the_code_from_the_mail_logs_in(self, mail_sshd, smtp, enrol, tmp_path):
        user = enrol("email")
        session = ssh_login(mail_sshd, user, tmp_path / "known_hosts")
        try:
            assert session.next_prompt() == "password", explain(session.attempt, mail_sshd)
            session.answer(user.account.password)
            # The code was sent before this prompt, which names the masked address.
            assert session.next_prompt() == "sent", explain(session.attempt, mail_sshd)
            [mail] = smtp.take()
            code = code_in_mail(mail)
            # Only a salted hash of the code is kept, never the code.
            record = sent_code_record(user.account.secret_file)
            assert record is not None and record.matches(code)
            assert not appears(code, user.account.secret_file.read_text())
            session.answer(code)
            assert session.next_prompt() is None
        finally:
            session.close()
        attempt = session.attempt
        assert attempt.succeeded, explain(attempt, mail_sshd)
        assert f"remote:{user.name}" in attempt.output
        assert mail["To"] == user.address and mail["X-RcptTo"] == user.address
        assert mail["From"] == MAIL_FROM and mail["Subject"] == SUBJECT
        # PAM_SERVICE reached the program: the mail names the service.
        assert f"code for {mail_sshd.service} on " in mail.get_payload()
        assert smtp.unseen() == []
        # Used: the record is gone.
        assert sent_code_record(user.account.secret_file) is None

    def test_a_wrong_password_sends_no_mail(self, mail_sshd, smtp, enrol, tmp_path):
        user = enrol("email")
        before = user.account.secret_file.read_bytes()
        session = ssh_login(mail_sshd, user, tmp_path / "known_hosts")
        try:
            assert session.next_prompt() == "password"
            session.answer("not-" + user.account.password)
            # The decoy line shows the same prompt, and sends nothing.
            assert session.next_prompt() == "sent", explain(session.attempt, mail_sshd)
            session.answer("123456")
            assert session.next_prompt() is None
        finally:
            session.close()
        assert not session.attempt.succeeded
        assert "remote:" not in session.attempt.output
        assert smtp.unseen() == []
        assert user.account.secret_file.read_bytes() == before
