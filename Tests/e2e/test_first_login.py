"""Enrolment at the first login (`enroll=first-login`, issue 13), through
the real libpam, the real sshd and ssh client, and the real sudo.

Through libpam (rigs/transcript_host.c, answered as it goes; the wall
clock frozen at NOW):
- a user without a secret is shown a QR code, a URI, the key and scratch
  codes; the code oathtool makes from the URI's secret enrols (result
  `enrolled` in the log), the saved file holds that secret (root, 0600),
  and the next login asks for a code as usual;
- wrong codes, or a user who hangs up, save nothing, and the next login
  shows a new secret;
- 16 concurrent first logins of one user, each answering the right code
  for the secret it was shown: one secret file, one `enrolled`, and the
  others told to log in again (control: 4 users racing all enrol);
- enroll_group and enroll_until limit who and until when; a stack of a
  service that changes identity (sudo's name, or PAM_RUSER set) never
  enrols; a user with a secret never sees enrolment;
- after a wrong password the decoy line shows the same enrolment (same
  shape of messages, a different secret) and saves nothing, even when
  answered with the right code for what it showed;
- without libqrencode (hidden in a mount namespace) the URI and key are
  shown without a QR code and the missing library is logged; the module
  does not link libqrencode.

Through sshd and ssh: the QR code as the client prints it, turned into an
image, decodes (zbarimg) to the URI shown; its code logs in; the second
login asks for a code. Through sudo: no enrolment.
"""

import os
import re
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from first_login_support import (ANOTHER_LOGIN, ENROLMENT_HEADING, LiveLogin, code_for, decode_qr, qr_lines,
                                 secret_of_uri, shape, uri_in)
from rigs.accounts import enrolled
from rigs.codes import secret_of, totp
from rigs.debian import debian_stack
from rigs.delivery_programs import ProgramDirectory
from rigs.pamstack import auth_lines, private_service_dir, with_options_on_every
from rigs.sshd import SshServer, SshSession
from rigs.sudo import sudo_as, sudo_with_service
from rigs.transcripts import PAM_AUTH_ERR, PAM_SUCCESS, build_host

SECRETS_DIR = Path("/var/lib/pam_otp")
PAM_CONV_ERR = 19
ITEMS = ("rhost=127.0.0.1", "tty=ssh")
GROUP = f"otpfl{uuid.uuid4().hex[:6]}"
# The last day of enroll_until in the stacks below, and its end (UTC).
UNTIL = "2030-06-15"
UNTIL_CLOSES = 1_907_798_400  # 2030-06-16T00:00:00Z


@pytest.fixture(scope="module")
def group():
    subprocess.run(["groupadd", GROUP], check=True)
    yield GROUP
    subprocess.run(["groupdel", GROUP], capture_output=True)


@pytest.fixture(scope="module")
def alerts(tmp_path_factory):
    """A notify= program that records each alert (the event and its
    fields) instead of sending it; yields (program, log)."""
    log = tmp_path_factory.mktemp("first-login-alerts") / "alerts.log"
    log.touch()
    with ProgramDirectory() as programs:
        yield programs.install("notify-record", "\n".join([
            "#!/bin/sh",
            "# pam_otp first-login tests: records the alert instead of sending it.",
            f'{{ echo "alert $2"; cat; }} >> {log}',
            "",
        ])), log


@pytest.fixture(scope="module")
def host(tmp_path_factory, module_path, group, alerts):
    """The transcript host and its services: Debian's sshd stack with the
    recipe (password, decoy, code) and enroll= on both pam_otp lines, and
    code-only stacks for the limits."""
    binary = build_host(tmp_path_factory.mktemp("first-login-host"))
    module = str(module_path)
    sshd = with_options_on_every(auth_lines(debian_stack("sshd", "password-then-code", module)), module,
                                 "enroll=first-login")
    code = f"auth required {module} enroll=first-login"
    confdir = private_service_dir(tmp_path_factory.mktemp("first-login-services"), {
        "sshd-enrol": sshd,
        "code-enrol": code + "\n",
        "code-light": code + " enroll_qr=light\n",
        "code-group": f"{code} enroll_group={group}\n",
        # pam_permit: the success a module that stands aside does not give.
        "code-group-nullok": f"{code} enroll_group={group} nullok\nauth required pam_permit.so\n",
        "code-until": f"{code} enroll_until={UNTIL}\n",
        # The name of a service that changes identity.
        "sudo": code + "\n",
        "code-notify": f"{code} notify={alerts[0]}\n",
        "code-notify-decoy": f"{code} notify={alerts[0]} decoy\n",
    })
    return binary, confdir


def login(host, service, user, now, items=ITEMS):
    binary, confdir = host
    return LiveLogin(binary, confdir, service, user, now, items)


@pytest.fixture
def user(users):
    entry = users.create("otpfl")
    password = "pw-" + uuid.uuid4().hex[:12] + "x"
    users.set_password(entry.pw_name, password, cheap_hash=True)
    return entry.pw_name, password


def secret_file(name: str) -> Path:
    return SECRETS_DIR / name


def leftovers(name: str) -> list:
    """Files beside the secrets that carry the user's name (a temporary
    file of a write, say)."""
    return sorted(entry for entry in os.listdir(SECRETS_DIR) if name in entry)


def enrolment_prompt(attempt: LiveLogin, answers=()) -> str:
    """Answers ANSWERS at the first prompts, then returns the text of the
    prompt that follows the enrolment messages."""
    for text in answers:
        assert attempt.next_prompt() is not None, attempt.events
        attempt.answer(text)
    prompt = attempt.next_prompt()
    assert prompt == "Verification code: ", attempt.events
    return prompt


class TestThroughLibpam:
    def test_the_code_oathtool_makes_from_the_uri_enrols_and_the_next_login_asks_for_a_code(
        self, host, user, syslog, tmp_path
    ):
        name, password = user
        now = int(time.time())
        syslog.clear()
        attempt = login(host, "sshd-enrol", name, now)
        enrolment_prompt(attempt, [password])
        text = "\n".join(attempt.messages)
        assert ENROLMENT_HEADING in text
        uri = attempt.uri
        assert uri.startswith(f"otpauth://totp/") and f":{name}?" in uri, uri
        # The text QR code is the URI (a dark terminal: the drawn blocks are light).
        assert decode_qr(text, tmp_path) == [uri]
        key = re.search(r"by hand: ([A-Z2-7 ]+)", text).group(1)
        assert key.replace(" ", "") == secret_of_uri(uri)
        assert len(re.findall(r"^    [1-9][0-9]{7}$", text, re.MULTILINE)) == 5
        assert not secret_file(name).exists(), "saved before a code was typed"
        attempt.answer(code_for(uri, now))
        transcript = attempt.finish()
        assert transcript.result == PAM_SUCCESS, transcript
        assert "Your authenticator app is set up" in "\n".join(attempt.messages)
        info = secret_file(name).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o600)
        assert secret_of(secret_file(name)) == secret_of_uri(uri)
        assert leftovers(name) == [name]
        log = syslog.text()
        assert re.search(rf"user={name} .*result=enrolled method=first_login", log), log
        assert secret_of_uri(uri) not in log and code_for(uri, now) not in log

        # The second login is an ordinary one: a code, no enrolment.
        again = login(host, "sshd-enrol", name, now + 30)
        enrolment_prompt(again, [password])
        assert again.messages == [], again.events
        again.answer(code_for(uri, now + 30))
        assert again.finish().result == PAM_SUCCESS
        # The code that enrolled was spent by it.
        replay = login(host, "sshd-enrol", name, now + 31)
        enrolment_prompt(replay, [password])
        replay.answer(code_for(uri, now))
        assert replay.finish().result == PAM_AUTH_ERR

    def test_wrong_codes_or_hanging_up_save_nothing_and_the_next_login_starts_afresh(self, host, user, syslog):
        name, password = user
        now = int(time.time())
        syslog.clear()
        attempt = login(host, "sshd-enrol", name, now)
        enrolment_prompt(attempt, [password])
        first_uri = attempt.uri
        right = code_for(first_uri, now)
        wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
        for _ in range(3):
            attempt.answer(wrong)
            attempt.next_prompt()
        transcript = attempt.finish()
        assert transcript.result == PAM_AUTH_ERR, transcript
        assert any("Nothing was saved; log in again to start over." in text for _, text in transcript.events), \
            transcript
        assert not secret_file(name).exists() and leftovers(name) == []
        assert re.search(rf"user={name} .*result=refused reason=\"enrolment not confirmed\"", syslog.text())

        hung_up = login(host, "sshd-enrol", name, now)
        enrolment_prompt(hung_up, [password])
        second_uri = hung_up.uri
        hung_up.hang_up()
        assert hung_up.finish().result != PAM_SUCCESS
        assert not secret_file(name).exists() and leftovers(name) == []
        assert secret_of_uri(second_uri) != secret_of_uri(first_uri)

        # The first secret is gone for good: its right code enrols nothing.
        late = login(host, "sshd-enrol", name, now)
        enrolment_prompt(late, [password])
        assert secret_of_uri(late.uri) not in (secret_of_uri(first_uri), secret_of_uri(second_uri))
        late.answer(right)
        late.next_prompt()
        late.hang_up()
        assert late.finish().result != PAM_SUCCESS
        assert not secret_file(name).exists()

    @staticmethod
    def race(host, names, now):
        """A first login for each of NAMES, all held at the code prompt, then
        every one answers the right code for the secret it was shown."""
        attempts = [login(host, "code-enrol", name, now) for name in names]
        for attempt in attempts:
            enrolment_prompt(attempt)
        codes = [code_for(attempt.uri, now) for attempt in attempts]
        for attempt, code in zip(attempts, codes):
            attempt.answer(code)
        return attempts, [attempt.finish() for attempt in attempts]

    def test_sixteen_concurrent_first_logins_end_with_one_secret(self, host, user, syslog):
        name, _ = user
        now = int(time.time())
        syslog.clear()
        attempts, transcripts = self.race(host, [name] * 16, now)
        winners = [attempt for attempt, transcript in zip(attempts, transcripts) if transcript.result == PAM_SUCCESS]
        assert len(winners) == 1, [str(transcript) for transcript in transcripts]
        # Every login was shown its own secret and typed its right code: the
        # others lost the race, not the code.
        assert len({attempt.uri for attempt in attempts}) == 16
        losers = [attempt for attempt in attempts if attempt is not winners[0]]
        assert all(ANOTHER_LOGIN in "\n".join(attempt.messages) for attempt in losers)
        assert secret_of(secret_file(name)) == secret_of_uri(winners[0].uri)
        assert leftovers(name) == [name]
        log = syslog.text()
        assert len(re.findall(rf"user={name} .*result=enrolled", log)) == 1, log
        assert len(re.findall(rf"user={name} .*reason=\"enrolled by another login\"", log)) == 15, log

    def test_control_concurrent_first_logins_of_different_users_all_enrol(self, host, users, syslog):
        # The counting above can see more than one winner.
        names = [users.create("otpfl").pw_name for _ in range(4)]
        now = int(time.time())
        syslog.clear()
        _, transcripts = self.race(host, names, now)
        assert [transcript.result for transcript in transcripts] == [PAM_SUCCESS] * 4
        assert all(secret_file(name).exists() for name in names)
        assert len(re.findall(r"result=enrolled", syslog.text())) == 4

    def test_a_user_with_a_secret_never_sees_enrolment(self, host, users, otpctl):
        account = enrolled(users, otpctl, prefix="otpfl")
        before = account.secret_file.read_bytes()
        attempt = login(host, "code-enrol", account.name, int(time.time()))
        enrolment_prompt(attempt)
        assert attempt.messages == []
        attempt.answer(totp(account.secret))
        assert attempt.finish().result == PAM_SUCCESS
        assert account.secret_file.read_bytes().split(b"\n")[0] == before.split(b"\n")[0]

    def test_only_members_of_enroll_group_enrol(self, host, users, group):
        member, other = users.create("otpfl").pw_name, users.create("otpfl").pw_name
        subprocess.run(["usermod", "-aG", group, member], check=True)
        now = int(time.time())
        attempt = login(host, "code-group", member, now)
        enrolment_prompt(attempt)
        assert ENROLMENT_HEADING in attempt.messages[0]
        attempt.answer(code_for(attempt.uri, now))
        assert attempt.finish().result == PAM_SUCCESS

        # Everyone else: as without a secret (asked, then refused; or nullok).
        outsider = login(host, "code-group", other, now)
        enrolment_prompt(outsider)
        assert outsider.messages == []
        outsider.answer("123456")
        assert outsider.finish().result == PAM_AUTH_ERR
        standing_aside = login(host, "code-group-nullok", other, now).finish()
        assert standing_aside.result == PAM_SUCCESS and standing_aside.prompts == [], standing_aside
        assert not secret_file(other).exists()

    def test_no_enrolment_after_the_end_of_the_enroll_until_day_utc(self, host, user):
        name, _ = user
        last_second = login(host, "code-until", name, UNTIL_CLOSES - 1)
        enrolment_prompt(last_second)
        assert ENROLMENT_HEADING in last_second.messages[0]
        last_second.hang_up()
        last_second.finish()
        closed = login(host, "code-until", name, UNTIL_CLOSES)
        enrolment_prompt(closed)
        assert closed.messages == []
        closed.answer("123456")
        assert closed.finish().result == PAM_AUTH_ERR
        assert not secret_file(name).exists()

    @pytest.mark.parametrize("service, items", [
        ("sudo", ITEMS),
        # sudo and su set PAM_RUSER to the user who asks, whatever the service's name.
        ("code-enrol", ("tty=/dev/pts/0", "ruser=someone")),
    ])
    def test_a_stack_that_changes_identity_never_enrols(self, host, user, service, items):
        name, _ = user
        attempt = login(host, service, name, int(time.time()), items)
        enrolment_prompt(attempt)
        assert attempt.messages == []
        attempt.answer("123456")
        assert attempt.finish().result == PAM_AUTH_ERR
        assert not secret_file(name).exists()

    def test_the_decoy_shows_the_same_enrolment_and_saves_nothing(self, host, user, syslog):
        name, password = user
        now = int(time.time())
        wrong_password = "X" + password[1:]
        runs = {}
        for label, typed in (("right", password), ("wrong", wrong_password)):
            attempt = login(host, "sshd-enrol", name, now)
            enrolment_prompt(attempt, [typed])
            uri = attempt.uri
            wrong = f"{(int(code_for(uri, now)) + 500_000) % 1_000_000:06d}"
            for _ in range(3):
                attempt.answer(wrong)
                attempt.next_prompt()
            runs[label] = (attempt.finish(), uri)
            assert not secret_file(name).exists()
        (right, right_uri), (decoy, decoy_uri) = runs["right"], runs["wrong"]
        assert shape(right) == shape(decoy), f"right password:\n{right}\nwrong password:\n{decoy}"
        assert secret_of_uri(right_uri) != secret_of_uri(decoy_uri)

        # Even the right code for the secret the decoy showed saves nothing.
        syslog.clear()
        attempt = login(host, "sshd-enrol", name, now)
        enrolment_prompt(attempt, [wrong_password])
        attempt.answer(code_for(attempt.uri, now))
        transcript = attempt.finish()
        assert transcript.result == PAM_AUTH_ERR, transcript
        assert not secret_file(name).exists() and leftovers(name) == []
        assert re.search(rf"user={name} .*result=decoy .*real_line=\"enrolled\"", syslog.text())

    def test_an_enrolment_raises_the_enrolled_alert_and_the_decoy_none(self, host, users, alerts):
        _, log = alerts
        now = int(time.time())
        for service in ("code-notify-decoy", "code-notify"):
            name = users.create("otpfl").pw_name
            attempt = login(host, service, name, now)
            enrolment_prompt(attempt)
            attempt.answer(code_for(attempt.uri, now))
            assert attempt.finish().result == (PAM_SUCCESS if service == "code-notify" else PAM_AUTH_ERR)
        # The watchdog runs the program after the login returned.
        deadline = time.time() + 10
        while f"user={name}" not in log.read_text() and time.time() < deadline:
            time.sleep(0.1)
        records = log.read_text()
        assert re.search(rf"alert enrolled\nevent=enrolled\nuser={name}\n", records), records
        assert records.count("alert ") == 1, records
        assert secret_of_uri(attempt.uri) not in records

    def test_the_light_terminal_drawing_decodes_too(self, host, user, tmp_path):
        name, _ = user
        attempt = login(host, "code-light", name, int(time.time()))
        enrolment_prompt(attempt)
        assert decode_qr("\n".join(attempt.messages), tmp_path, dark_background=False) == [attempt.uri]
        attempt.hang_up()
        attempt.finish()

    def test_without_libqrencode_the_uri_and_key_are_shown_and_it_is_logged(self, host, user, syslog, module_path):
        name, _ = user
        library = Path("/usr/lib/x86_64-linux-gnu/libqrencode.so.4").resolve()
        binary, confdir = host
        now = int(time.time())
        syslog.clear()
        # A private mount namespace in which the library is an empty file.
        hidden = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             f'mount --bind /dev/null "$0" && exec "$@"', str(library),
             str(binary), str(confdir), "code-enrol", name, str(now), *ITEMS],
            input="\n", capture_output=True, text=True, timeout=60)
        assert hidden.returncode == 0, hidden.stderr
        shown = [bytes.fromhex(line.split(" ", 1)[1]).decode() for line in hidden.stdout.splitlines()
                 if line.startswith("info ")]
        text = "\n".join(shown)
        assert "(No QR code can be drawn here: enter the key by hand.)" in text
        assert qr_lines(text) == []
        assert uri_in(text) and "by hand:" in text
        assert re.search(rf"user={name} .*enrolment without a QR code: libqrencode.so.4 cannot be loaded", syslog.text())

    def test_the_module_does_not_link_libqrencode(self, module_path):
        dynamic = subprocess.run(["readelf", "-d", str(module_path)], capture_output=True, text=True, check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
        assert needed and not [library for library in needed if "qrencode" in library], needed


@pytest.fixture(scope="module")
def enrolling_sshd(module_path, tmp_path_factory):
    stack = with_options_on_every(debian_stack("sshd", "password-then-code", module_path), module_path,
                                  "enroll=first-login")
    server = SshServer(tmp_path_factory.mktemp("sshd-first-login"), stack,
                       authentication_methods="keyboard-interactive")
    with server:
        yield server


COMMAND = 'echo "remote:$(id -un)"'


def test_in_sshd_the_qr_code_the_client_prints_decodes_and_its_code_logs_in(enrolling_sshd, user, tmp_path):
    name, password = user
    known_hosts = tmp_path / "known_hosts"
    # ssh shows non-ASCII text only in a UTF-8 locale.
    session = SshSession(enrolling_sshd.port, name, COMMAND, known_hosts, locale="C.UTF-8")
    try:
        assert session.next_prompt() == "password", session.attempt
        session.answer(password)
        assert session.next_prompt() == "code", session.attempt
        printed = session.child.before
        uri = uri_in(printed)
        assert decode_qr(printed, tmp_path) == [uri], printed
        session.answer(code_for(uri, time.time()))
        attempt = session.finish()
    finally:
        session.close()
    assert attempt.succeeded, f"{attempt}\n{enrolling_sshd.log_text()[-3000:]}"
    assert f"remote:{name}" in attempt.output
    assert secret_of(secret_file(name)) == secret_of_uri(uri)

    again = SshSession(enrolling_sshd.port, name, COMMAND, known_hosts, locale="C.UTF-8")
    try:
        assert again.next_prompt() == "password"
        again.answer(password)
        assert again.next_prompt() == "code"
        assert ENROLMENT_HEADING not in again.child.before and not qr_lines(again.child.before)
        again.answer(totp(secret_of_uri(uri), at=time.time() + 30))
        second = again.finish()
    finally:
        again.close()
    assert second.succeeded, f"{second}\n{enrolling_sshd.log_text()[-3000:]}"


def test_sudo_never_enrols(module_path, user):
    name, password = user
    stack = with_options_on_every(debian_stack("sudo", "password-then-code", module_path), module_path,
                                  "enroll=first-login")
    with sudo_with_service(name, stack):
        attempt = sudo_as(name, "id -u", [("password", password), ("code", "123456")])
    assert attempt.prompts[:3] == ["password", "code", "retry"], attempt
    assert ENROLMENT_HEADING not in attempt.transcript and "otpauth://" not in attempt.transcript, attempt
    assert attempt.exitstatus != 0
    assert not secret_file(name).exists()
