"""Codes by e-mail and SMS (issue 6), end to end with the real parts.

E-mail goes through the shipped scripts/deliver-email (installed as an
administrator would: root's, 0755, in a directory only root can write),
configured in /etc/pam_otp/deliver-email.conf to use msmtp as its
sendmail, to a real SMTP server on loopback (aiosmtpd). SMS goes through
scripts/deliver-sms to an HTTP server on loopback. The codes are read
from what arrives there, as a user would read them.

What the user sees is the same for everyone: the prompt `Verification
code: `, and after an empty answer one line saying a code is on its way
if there is an address. Whether a code went out, and why not, is only in
the log, so the tests read the log lines and the mailbox for that.

- sshd: Debian's /etc/pam.d/sshd with pam.d/password-then-code applied
  and deliver= on both pam_otp lines; the code from the mail logs in and
  the command runs; the mail is
  addressed to the user and the secret file holds only a salted hash of
  the code; a wrong password sends no mail and shows the same words.
- pamtester (under pam_wrapper, one prompt at a time): the code sent at
  the start, expiry, resend, max_sends, the same words for every user,
  failed deliveries (mail server down, a program that fails, one that
  hangs, one in an unsafe place), slow ones (the prompt does not wait),
  the SMS example, a user with an app and an address, single use.
- Push (scripts/deliver-push, test_push.py): the code posted for a
  push:TARGET user logs in, and the same program posts the `failures`
  alert that follows a wrong code.
- Alerts by e-mail (scripts/notify-email, test_alert_mail.py), through a
  real sshd: wrong codes then a right one mail the `failures` alert to the
  administrator and the user; the decoy line raises nothing.
- Every test: neither a code, a full address nor the SMS token appears in
  any syslog line (the masked address may); log lines say what failed."""

import json
import secrets
import uuid
from pathlib import Path

import pytest

from delivery_support import MAIL_FROM, Recipient, SMS_SENDER, SUBJECT, Services, TracingProgram
from rigs.accounts import enrolled
from rigs.delivery_programs import ProgramDirectory, preserved_etc_pam_otp, write_setting_file
from rigs.http_sink import HttpSink
from rigs.sent_codes import appears, code_in_mail, code_in_sms
from rigs.smtp import SmtpServer, msmtp_config


@pytest.fixture(scope="module")
def programs():
    with ProgramDirectory() as directory:
        yield directory


@pytest.fixture(scope="module")
def etc_pam_otp():
    with preserved_etc_pam_otp() as path:
        yield path


@pytest.fixture(scope="module")
def smtp(programs, etc_pam_otp):
    """The loopback SMTP server, and deliver-email set up to reach it
    through msmtp (its settings file is what an administrator writes)."""
    with SmtpServer() as server:
        msmtprc = programs.install("msmtprc", msmtp_config(server.port, MAIL_FROM), mode=0o644)
        write_setting_file("deliver-email.conf", "\n".join([
            "# pam_otp e2e tests: msmtp to the SMTP server on loopback",
            "SENDMAIL=/usr/bin/msmtp",
            f"SENDMAIL_ARGS=--file={msmtprc}",
            f"FROM={MAIL_FROM}",
            f"SUBJECT={SUBJECT}",
            "",
        ]), 0o644)
        yield server


@pytest.fixture(scope="module")
def deliver_email(programs, smtp) -> Path:
    return programs.shipped("deliver-email")


@pytest.fixture(scope="module")
def sms_gateway(etc_pam_otp):
    # Answers after a second: long enough to look at curl while it waits.
    with HttpSink(delay=1.0) as sink:
        yield sink


@pytest.fixture
def sms_token(sms_gateway) -> str:
    """deliver-sms's settings: the gateway's URL and a fresh token, root's, 0600."""
    token = secrets.token_urlsafe(24)
    write_setting_file("deliver-sms.conf", f"URL={sms_gateway.url}\nTOKEN={token}\nSENDER={SMS_SENDER}\n", 0o600)
    sms_gateway.clear()
    return token


@pytest.fixture(scope="module")
def deliver_sms(programs) -> Path:
    return programs.shipped("deliver-sms")


@pytest.fixture(scope="module")
def services(module_path, tmp_path_factory) -> Services:
    return Services(module_path, tmp_path_factory.mktemp("pam-services"))


@pytest.fixture(scope="module")
def known_addresses() -> list:
    """Every address enrolled in this module, for the log check."""
    return []


@pytest.fixture
def enrol(users, otpctl, known_addresses):
    """enrol("email") / enrol("sms"): a user enrolled with a fresh address,
    without an app unless app=True."""

    def make(channel: str = "email", app: bool = False) -> Recipient:
        if channel == "email":
            address = f"otp{uuid.uuid4().hex[:10]}@example.com"
        else:
            address = "+447700" + f"{secrets.randbelow(10**6):06d}"
        known_addresses.append(address)
        account = enrolled(users, otpctl, "--deliver", f"{channel}:{address}", *([] if app else ["--no-app"]),
                           prefix="otpdl")
        return Recipient(account, address)

    return make


@pytest.fixture
def app_only(users, otpctl):
    """app_only(): a user enrolled with an app and no delivery address."""
    return lambda: enrolled(users, otpctl, prefix="otpdl")


@pytest.fixture
def tracing(programs, known_codes):
    """tracing(NAME, sleep=…, status=…, code_at=…): a TracingProgram; the
    codes the test reads from it are checked against the log too."""
    return lambda name, **options: TracingProgram(programs, name, known_codes=known_codes, **options)


@pytest.fixture
def known_codes() -> list:
    """Codes a test learnt other than from the mail server or the gateway
    (from its own delivery program), for the log check."""
    return []


@pytest.fixture(autouse=True)
def log_holds_no_code_and_no_address(request, known_addresses, known_codes):
    """After every test: no syslog line of the test holds a delivered code,
    a full address or the SMS token. The codes are every one the mail
    server and the gateway ever received, read as the user reads them."""
    try:
        sink = request.getfixturevalue("syslog")
    except pytest.skip.Exception:
        yield  # a syslog daemon owns /dev/log: nothing to read the lines from
        return
    sink.clear()
    yield
    text = sink.text(settle=0.1)
    watched = list(known_addresses) + list(known_codes)
    if "smtp" in request.fixturenames:
        watched += [code_in_mail(message) for message in request.getfixturevalue("smtp").all_messages()]
    if "sms_gateway" in request.fixturenames:
        for sms in request.getfixturevalue("sms_gateway").requests:
            token = sms.headers.get("authorization", "").removeprefix("Bearer ")
            watched += [code_in_sms(json.loads(sms.body)["text"]), token]
    for secret in filter(None, watched):
        assert not appears(secret, text), f"{secret!r} is in the log:\n{text}"
