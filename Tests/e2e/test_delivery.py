"""Codes by e-mail and SMS (issue 6), end to end with the real parts.

E-mail goes through the shipped scripts/deliver-email (installed as an
administrator would: root's, 0755, in a directory only root can write),
configured in /etc/pam_otp/deliver-email.conf to use msmtp as its
sendmail, to a real SMTP server on loopback (aiosmtpd). SMS goes through
scripts/deliver-sms to an HTTP server on loopback. The codes are read
from what arrives there, as a user would read them.

- sshd: the shipped pam.d/sshd auth lines with deliver= on both pam_otp
  lines; the code from the mail logs in and the command runs; the mail is
  addressed to the user and the secret file holds only a salted hash of
  the code; a wrong password sends no mail.
- pamtester (under pam_wrapper, one prompt at a time): expiry, resend,
  max_sends, failed deliveries (mail server down, a program that fails,
  one that hangs, one in an unsafe place), the SMS example, a user with
  an app and an address, single use.
- Every test: neither a code, a full address nor the SMS token appears in
  any syslog line (the masked address may); log lines say what failed.
"""

import json
import os
import re
import secrets
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from rigs import processes
from rigs.accounts import Account, enrolled
from rigs.codes import totp
from rigs.conversation import Conversation
from rigs.delivery_programs import ProgramDirectory, preserved_etc_pam_otp, write_setting_file
from rigs.http_sink import HttpSink
from rigs.pamstack import module_field, private_service_dir, shipped, unique_service
from rigs.sent_codes import appears, code_in_mail, code_in_sms, sent_code_record
from rigs.smtp import SmtpServer, msmtp_config
from rigs.sshd import PROMPTS, SshServer, SshSession

MAIL_FROM = "pam-otp-e2e@example.org"
SUBJECT = "pam_otp e2e verification code"
SMS_SENDER = "pam-otp-e2e"
COMMAND = 'echo "remote:$(id -un)"'

TOO_SOON = "A code was sent moments ago; you can ask for a new one in "
EXPIRED = "That code has expired; press Enter at the prompt for a new one."
TOO_MANY = "Too many codes were sent recently; try again later."


def not_sent(channel: str) -> str:
    return f"The code could not be sent {channel}; please try again later."


def sent_prompt(masked: str, channel: str = "by e-mail") -> str:
    return f"Code sent {channel} to {masked}: "


def offer_prompt(masked: str) -> str:
    return f"Verification code (or press Enter for one by e-mail to {masked}): "


def masked(address: str) -> str:
    """The masking issue 6 asks for: a•••@example.com, +44•••••789."""
    if address.startswith("+"):
        return f"+{address[1:3]}•••••{address[-3:]}"
    return f"{address[0]}•••{address[address.rindex('@'):]}"


# ---------------------------------------------------------------- set-up


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


class Services:
    """Private pam_wrapper services, one `auth required pam_otp.so OPTIONS`
    each, and conversations with pamtester through them."""

    def __init__(self, module: Path, directory: Path):
        self.module = module
        self.directory = private_service_dir(directory, {})

    def add(self, *options) -> str:
        name = unique_service("otp-deliver")
        (self.directory / name).write_text(" ".join(["auth", "required", str(self.module), *options]) + "\n")
        return name

    def talk(self, service: str, user: str) -> Conversation:
        return Conversation(self.directory, service, user)


@pytest.fixture(scope="module")
def services(module_path, tmp_path_factory) -> Services:
    return Services(module_path, tmp_path_factory.mktemp("pam-services"))


@dataclass
class Recipient:
    """An enrolled user and the address codes go to."""

    account: Account
    address: str

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def masked(self) -> str:
        return masked(self.address)


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


@pytest.fixture(autouse=True)
def log_holds_no_code_and_no_address(request, known_addresses):
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
    watched = list(known_addresses)
    if "smtp" in request.fixturenames:
        watched += [code_in_mail(message) for message in request.getfixturevalue("smtp").all_messages()]
    if "sms_gateway" in request.fixturenames:
        for sms in request.getfixturevalue("sms_gateway").requests:
            token = sms.headers.get("authorization", "").removeprefix("Bearer ")
            watched += [code_in_sms(json.loads(sms.body)["text"]), token]
    for secret in filter(None, watched):
        assert not appears(secret, text), f"{secret!r} is in the log:\n{text}"


def log_line(syslog, *parts) -> str:
    """The one log line that holds every one of PARTS."""
    lines = [line for line in syslog.text(settle=0.1).splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, f"expected one line with {parts}, got: {lines}\n{syslog.text(settle=0)}"
    return lines[0]


# ---------------------------------------------------------------- sshd


def with_options_on_pam_otp(stack: str, module: Path, *options) -> str:
    """The stack with OPTIONS added to every pam_otp line (the decoy must
    behave as the real line does, so both get them)."""
    lines = [f"{line} {' '.join(options)}" if module_field(line) == str(module) else line
             for line in stack.splitlines()]
    assert sum(module_field(line) == str(module) for line in lines) == 2, stack
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mail_sshd(module_path, deliver_email, tmp_path_factory):
    stack = with_options_on_pam_otp(shipped("sshd", module_path), module_path, f"deliver={deliver_email}")
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


# ---------------------------------------------------------------- e-mail through pamtester


def test_an_expired_code_is_refused(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}", "code_ttl=2")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(sent_prompt(user.masked))
        [mail] = smtp.take()
        # Stored as whole seconds: 2.5 s after arrival is past the expiry.
        time.sleep(2.5)
        talk.answer(code_in_mail(mail))
        result = talk.finish()
    assert EXPIRED in result.transcript, result
    assert not result.authenticated, result
    assert sent_code_record(user.account.secret_file) is None
    # The masked address may be logged, the full one never (checked after every test).
    log_line(syslog, f"user={user.name}", f"code sent by e-mail to {user.masked}")
    log_line(syslog, f"user={user.name}", 'result=refused reason="sent code expired"')


def test_resend_is_refused_until_resend_after_then_the_new_code_replaces_the_old(services, deliver_email, smtp,
                                                                                  enrol):
    service = services.add(f"deliver={deliver_email}", "resend_after=3")
    user = enrol("email")
    prompt = sent_prompt(user.masked)
    with services.talk(service, user.name) as talk:
        talk.expect(prompt)
        [first] = smtp.take()
        arrived = time.time()
        talk.answer("")
        said = talk.expect(prompt)
        assert re.search(re.escape(TOO_SOON) + r"[1-3] seconds?\.", said), said
        assert smtp.unseen() == [], "a new code was sent before resend_after"
        # Whole seconds again: 3.2 s after the first mail, resend_after has passed.
        time.sleep(max(0.0, arrived + 3.2 - time.time()))
        talk.answer("")
        said = talk.expect(prompt)
        assert TOO_SOON not in said, said
        [second] = smtp.take()
        old, new = code_in_mail(first), code_in_mail(second)
        assert old != new
        talk.answer(old)
        refused = talk.finish()
    assert not refused.authenticated, "the replaced code still worked: " + refused.transcript
    # A login moments later uses the fresh code: nothing new is sent, and it works.
    with services.talk(service, user.name) as talk:
        talk.expect(prompt)
        assert smtp.unseen() == []
        talk.answer(new)
        result = talk.finish()
    assert result.authenticated, result
    assert smtp.unseen() == []


def test_max_sends_refuses_a_further_code(services, deliver_email, smtp, enrol, syslog):
    """Once max_sends codes went out and none of them works any more, no
    code is sent and the login is refused (while the last one still works,
    it is asked for instead: see the next test)."""
    service = services.add(f"deliver={deliver_email}", "resend_after=0", "max_sends=2/60", "code_ttl=1")
    user = enrol("email")
    prompt = sent_prompt(user.masked)
    with services.talk(service, user.name) as talk:
        talk.expect(prompt)
        smtp.take()
        talk.answer("")
        talk.expect(prompt)
        smtp.take()
        time.sleep(1.2)  # the second code expires
        talk.answer("")  # the third code in the window
        result = talk.finish()
    assert TOO_MANY in result.transcript, result
    assert not result.authenticated
    assert smtp.unseen() == []
    # A new login within the window gets no code either.
    with services.talk(service, user.name) as talk:
        again = talk.finish()
    assert TOO_MANY in again.transcript, again
    assert smtp.unseen() == []
    assert len([line for line in syslog.text(settle=0.1).splitlines()
                if f"user={user.name}" in line and 'reason="too many codes sent recently"' in line]) == 2


def test_the_last_code_still_works_after_max_sends_is_reached(services, deliver_email, smtp, enrol):
    """max_sends stops codes being sent, not the one already sent: a user
    who asked for codes up to the limit and then reconnects (after
    resend_after) still logs in with the last code, which has not expired."""
    service = services.add(f"deliver={deliver_email}", "resend_after=1", "max_sends=2/60", "code_ttl=60")
    user = enrol("email")
    prompt = sent_prompt(user.masked)
    with services.talk(service, user.name) as talk:
        talk.expect(prompt)
        smtp.take()
        # Whole seconds: 1.2 s after the mail, resend_after=1 has passed.
        time.sleep(1.2)
        talk.answer("")
        talk.expect(prompt)
        [last] = smtp.take()
        # The connection drops here, before the code is typed.
    time.sleep(1.2)
    with services.talk(service, user.name) as talk:
        if talk.expect_any([prompt, TOO_MANY]) == prompt:
            talk.answer(code_in_mail(last))
        result = talk.finish()
    assert smtp.unseen() == []
    assert result.authenticated, "a login with the unexpired last code was refused: " + result.transcript


def test_a_sent_code_works_once(services, deliver_email, smtp, enrol):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        talk.expect(offer_prompt(user.masked))
        talk.answer("")
        talk.expect(sent_prompt(user.masked))
        [mail] = smtp.take()
        talk.answer(code_in_mail(mail))
        assert talk.finish().authenticated
    with services.talk(service, user.name) as talk:
        talk.expect(offer_prompt(user.masked))
        talk.answer(code_in_mail(mail))
        again = talk.finish()
    assert not again.authenticated, again
    assert smtp.unseen() == []


def test_app_user_gets_a_mail_code_on_enter_and_the_app_code_needs_no_mail(services, deliver_email, smtp, enrol):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        talk.expect(offer_prompt(user.masked))
        assert smtp.unseen() == [], "a code was mailed before the user asked for one"
        talk.answer("")
        talk.expect(sent_prompt(user.masked))
        [mail] = smtp.take()
        assert mail["To"] == user.address
        talk.answer(code_in_mail(mail))
        by_mail = talk.finish()
    assert by_mail.authenticated, by_mail
    with services.talk(service, user.name) as talk:
        talk.expect(offer_prompt(user.masked))
        talk.answer(totp(user.account.secret))
        by_app = talk.finish()
    assert by_app.authenticated, by_app
    assert smtp.unseen() == []


# ---------------------------------------------------------------- deliveries that fail


def refused_before_the_prompt(result, channel="by e-mail"):
    """The login ended with the message and without a code prompt, and the
    module left no process behind."""
    assert not_sent(channel) in result.transcript, result
    assert "Code sent" not in result.transcript, result
    assert not result.authenticated, result
    assert result.leftovers == [], f"processes left behind: {result.leftovers}"


def test_mail_server_down_refuses_the_login(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email")
    with smtp.down(), services.talk(service, user.name) as talk:
        result = talk.finish()
    refused_before_the_prompt(result)
    # The code that never arrived is not left usable.
    assert sent_code_record(user.account.secret_file) is None
    line = log_line(syslog, f"user={user.name}", f"delivery=email:{user.masked}")
    assert re.search(r"delivery command exited with status [1-9]\d*$", line), line
    log_line(syslog, f"user={user.name}", 'result=refused reason="code could not be delivered"')


def test_a_program_that_exits_non_zero_refuses_the_login(services, programs, enrol, syslog):
    failing = programs.install("deliver-fails", "#!/bin/sh\n# A gateway that says no.\ncat >/dev/null\nexit 3\n")
    service = services.add(f"deliver={failing}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        result = talk.finish()
    refused_before_the_prompt(result)
    assert log_line(syslog, f"user={user.name}", f"delivery=email:{user.masked}").endswith(
        "delivery command exited with status 3")


def hanging_program(programs, name: str, body: str):
    """A program that sleeps for a duration unique to this test, so its
    sleep can be found in the process list."""
    duration = f"30.{secrets.randbelow(10**6):06d}"
    return programs.install(name, "#!/bin/sh\n" + body.format(duration=duration)), duration


def test_a_program_that_hangs_is_killed_at_deliver_timeout(services, programs, enrol, syslog):
    hanging, duration = hanging_program(programs, "deliver-hangs", "cat >/dev/null\nexec sleep {duration}\n")
    service = services.add(f"deliver={hanging}", "deliver_timeout=1")
    user = enrol("email")
    started = time.monotonic()
    with services.talk(service, user.name) as talk:
        result = talk.finish()
    elapsed = time.monotonic() - started
    refused_before_the_prompt(result)
    assert elapsed < 6, f"the login took {elapsed:.1f} s with deliver_timeout=1"
    assert processes.with_argument(duration) == []
    assert log_line(syslog, f"user={user.name}", f"delivery=email:{user.masked}").endswith(
        "delivery command ran past its time limit and was killed")


def test_a_hanging_program_is_killed_with_its_children(services, programs, enrol):
    """Delivery programs are scripts that wait for a child (deliver-sms for
    curl, deliver-email for sendmail). At the time limit that child must go
    too, or it delivers a code that was already discarded, and lives on."""
    hanging, duration = hanging_program(programs, "deliver-child-hangs", "cat >/dev/null\nsleep {duration}\n")
    service = services.add(f"deliver={hanging}", "deliver_timeout=1")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        result = talk.finish()
    assert not_sent("by e-mail") in result.transcript and not result.authenticated, result
    # The killed grandchild is adopted by the test's subreaper and shows as a
    # zombie until it reaps it (under sshd, init reaps it): what must not be
    # left is anything still running.
    alive = [process for process in result.leftovers if process["state"] != "Z"]
    assert alive == [], f"processes left running: {alive}"
    assert processes.with_argument(duration) == []


def test_a_program_in_a_directory_others_can_write_is_not_run(services, programs, enrol, syslog):
    writable = programs.path / "writable"
    writable.mkdir(mode=0o777)
    os.chmod(writable, 0o777)
    marker = programs.path / "ran"
    program = writable / "deliver"
    program.write_text(f"#!/bin/sh\ntouch {marker}\n")
    os.chmod(program, 0o755)
    assert stat.S_IMODE(program.stat().st_mode) == 0o755 and program.stat().st_uid == 0
    service = services.add(f"deliver={program}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        result = talk.finish()
    refused_before_the_prompt(result)
    assert not marker.exists(), "the program ran"
    assert "delivery command refused" in log_line(syslog, f"user={user.name}", f"delivery=email:{user.masked}")


# ---------------------------------------------------------------- SMS


def test_sms_example_posts_the_code_with_the_token_in_a_header(services, deliver_sms, sms_gateway, sms_token, enrol):
    service = services.add(f"deliver={deliver_sms}")
    user = enrol("sms")
    with services.talk(service, user.name) as talk:
        assert sms_gateway.received.wait(15), "no request reached the gateway"
        # The gateway holds its answer back: curl is still running now.
        curls = processes.running("curl", under=talk.child.pid)
        leaks = processes.showing(sms_token)
        talk.expect(sent_prompt(user.masked, "by SMS"))
        [request] = sms_gateway.requests
        sms = json.loads(request.body)
        talk.answer(code_in_sms(sms["text"]))
        result = talk.finish()
    assert result.authenticated, result
    assert curls and all(arguments[-2:] == ["--config", "-"] for arguments in curls), curls
    assert leaks == [], f"the token is visible in /proc: {leaks}"
    assert request.headers["authorization"] == f"Bearer {sms_token}"
    assert request.headers["content-type"] == "application/json"
    assert sms["to"] == user.address and sms["from"] == SMS_SENDER
    assert sms_token not in request.path


def test_sms_settings_readable_by_others_are_refused(services, deliver_sms, sms_gateway, sms_token, enrol, syslog):
    os.chmod("/etc/pam_otp/deliver-sms.conf", 0o644)
    service = services.add(f"deliver={deliver_sms}")
    user = enrol("sms")
    with services.talk(service, user.name) as talk:
        result = talk.finish()
    refused_before_the_prompt(result, "by SMS")
    assert sms_gateway.requests == []
    # deliver-sms exits 78 (EX_CONFIG) for settings it will not trust.
    assert log_line(syslog, f"user={user.name}", f"delivery=sms:{user.masked}").endswith(
        "delivery command exited with status 78")
