"""Alerts (notify=) end to end: a real sshd with Debian's /etc/pam.d/sshd
and the README's password-then-code recipe, notify= on both pam_otp lines, the shipped scripts/notify-email
installed as an administrator would, msmtp as its sendmail, and a real
SMTP server on loopback.

Wrong codes, then a right code: the `failures` alert reaches the
administrator and the user (at their delivery address) by e-mail, with
neither a code nor the secret in it. The decoy line (a wrong password)
raises nothing, also when it is given the right code."""

import time
import uuid

import pytest

from delivery_support import COMMAND, MAIL_FROM, events, wait_for
from rigs.accounts import enrolled
from rigs.codes import totp, wrong_totp
from rigs.debian import debian_stack
from rigs.delivery_programs import write_setting_file
from rigs.pamstack import with_options_on_every
from rigs.sent_codes import appears
from rigs.smtp import SmtpServer, msmtp_config
from rigs.sshd import SshServer, ssh

ADMIN = "pam-otp-e2e-security@example.org"


@pytest.fixture(scope="module")
def alert_mail(programs, etc_pam_otp):
    """A mail server of its own (the delivery tests' fixture reads every
    message there as a code), and notify-email's settings to reach it."""
    with SmtpServer() as server:
        msmtprc = programs.install("msmtprc-alerts", msmtp_config(server.port, MAIL_FROM), mode=0o644)
        write_setting_file("notify-email.conf", "\n".join([
            "# pam_otp e2e tests: msmtp to the SMTP server on loopback",
            f"ADMIN={ADMIN}",
            "SENDMAIL=/usr/bin/msmtp",
            f"SENDMAIL_ARGS=--file={msmtprc}",
            f"FROM={MAIL_FROM}",
            "",
        ]), 0o644)
        yield server


@pytest.fixture(scope="module")
def notify_email(programs, alert_mail):
    return programs.shipped("notify-email")


@pytest.fixture(scope="module")
def alert_sshd(module_path, notify_email, tmp_path_factory):
    stack = with_options_on_every(debian_stack("sshd", "password-then-code", module_path), module_path,
                                  f"notify={notify_email}")
    server = SshServer(tmp_path_factory.mktemp("sshd-alerts"), stack, authentication_methods="keyboard-interactive")
    with server:
        yield server


def login(server, account, password, code, known_hosts):
    return ssh(server.port, account.name, COMMAND, {"password": password, "code": code}, known_hosts)


def test_wrong_codes_then_a_right_code_mail_the_failures_alert(alert_sshd, alert_mail, users, otpctl, tmp_path,
                                                               request):
    address = f"otp{uuid.uuid4().hex[:10]}@example.com"
    account = enrolled(users, otpctl, "--deliver", f"email:{address}", prefix="otpal")
    known_hosts = tmp_path / "known_hosts"
    wrong = wrong_totp(account.secret)
    # A wrong password reaches the decoy, which raises nothing, with a wrong
    # code or the right one.
    assert not login(alert_sshd, account, "not-" + account.password, wrong, known_hosts).succeeded
    assert not login(alert_sshd, account, "not-" + account.password, totp(account.secret), known_hosts).succeeded
    # The right password and a wrong code: counted, nothing raised yet.
    refused = login(alert_sshd, account, account.password, wrong, known_hosts)
    assert not refused.succeeded, f"{refused}\n{alert_sshd.log_text()[-2000:]}"
    assert '" FAILURES 1 ' in account.secret_file.read_text()
    right = totp(account.secret)
    attempt = login(alert_sshd, account, account.password, right, known_hosts)
    assert attempt.succeeded, f"{attempt}\n{alert_sshd.log_text()[-2000:]}"
    assert f"remote:{account.name}" in attempt.output

    # The administrator's mail and the user's, in either order.
    mails = {mail["To"]: mail for mail in alert_mail.take(2, timeout=15)}
    assert set(mails) == {ADMIN, address}, mails.keys()
    admin, person = mails[ADMIN], mails[address]
    assert admin["From"] == MAIL_FROM and admin["Subject"].startswith(f"[pam_otp] {account.name} logged in after 1 wrong")
    admin_text = admin.get_payload(decode=True).decode()
    assert f"{account.name} logged in ({alert_sshd.service} from 127.0.0.1) after 1 wrong verification code" in admin_text
    person_text = person.get_payload(decode=True).decode()
    assert "1 wrong verification code(s) were entered for your account" in person_text
    # Neither carries a code or the secret.
    for text in (admin.as_string(), person.as_string()):
        for secret in (wrong, right, account.secret, *map(str, account.scratch_codes)):
            assert not appears(secret, text), f"{secret!r} is in an alert:\n{text}"
    # Nothing else was sent: not by the decoy, not for the wrong code.
    time.sleep(0.5)
    assert alert_mail.unseen() == []
    # The watchdog logged that the alert went out (when this run owns /dev/log).
    try:
        syslog = request.getfixturevalue("syslog")
    except pytest.skip.Exception:
        return
    assert wait_for(lambda: "alert=failures sent" in events(syslog, account.name), timeout=10), \
        events(syslog, account.name)
    log = syslog.text(settle=0)
    for secret in (wrong, right, address):
        assert not appears(secret, log), f"{secret!r} is in the log"
