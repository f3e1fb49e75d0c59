"""Codes by e-mail or SMS: deliveries that fail. The user hears nothing of
it (the login goes on as for anyone); the code that was not delivered is
discarded before the next answer is judged, so it never works; the log
says why; and the module leaves no process behind."""

import os
import re
import secrets
import stat
import time

from delivery_support import (ON_ITS_WAY, PROMPT, delivery_failed, logged_exactly, no_process_left, refused,
                              shown)
from rigs import processes
from rigs.sent_codes import sent_code_record


def test_mail_server_down_discards_the_code_and_the_login_goes_on(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email")
    with smtp.down(), services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer("")  # the first code failed: a new one may be sent at once, and fails too
        talk.expect(PROMPT)
        talk.answer("123456")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], result
    no_process_left(result)
    # The codes that never arrived are not left usable.
    assert sent_code_record(user.account.secret_file) is None
    assert smtp.unseen() == []
    failed = re.compile(re.escape(delivery_failed(user, "delivery command exited with status ")) + r"[1-9]\d*")
    logged_exactly(syslog, user.name, [failed, failed, refused("wrong code")])


def test_the_code_of_a_program_that_fails_never_works(services, tracing, enrol, syslog):
    """The program gets the code and says no (exit 3) a moment later. The
    code is answered while it still runs: the module waits for it, discards
    the code, and only then judges the answer. In the next login, after its
    program has failed again, the first code is no better."""
    program = tracing("deliver-fails", sleep=2, status=3, code_at="start")
    service = services.add(f"deliver={program.path}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        code = program.code(user.name)
        # Stored (as a salted hash) before the program's verdict is in.
        record = sent_code_record(user.account.secret_file)
        assert record is not None and record.matches(code)
        assert not program.has(user.name, "exited")
        talk.answer(code)
        first = talk.finish()
        judged = time.time()
    assert not first.authenticated, "the code of a failed delivery worked: " + first.transcript
    assert program.when(user.name, "exited") < judged
    assert shown(first) == [PROMPT], first
    no_process_left(first)
    assert sent_code_record(user.account.secret_file) is None
    program.forget(user.name)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        second_code = program.code(user.name)
        program.wait(user.name, "exited")
        talk.answer(code)
        second = talk.finish()
    assert not second.authenticated, second
    assert shown(second) == [PROMPT], second
    assert second_code != code
    assert sent_code_record(user.account.secret_file) is None
    failed = delivery_failed(user, "delivery command exited with status 3")
    logged_exactly(syslog, user.name, [failed, refused("wrong code"), failed, refused("wrong code")])


def hanging_program(programs, name: str, body: str):
    """A program that sleeps for a duration unique to this test, so its
    sleep can be found in the process list."""
    duration = f"30.{secrets.randbelow(10**6):06d}"
    return programs.install(name, "#!/bin/sh\n" + body.format(duration=duration)), duration


def wait_until(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


TIMED_OUT = "delivery command ran past its time limit and was killed"


def test_a_program_that_hangs_is_killed_at_deliver_timeout(services, programs, enrol, syslog):
    hanging, duration = hanging_program(programs, "deliver-hangs", "cat >/dev/null\nexec sleep {duration}\n")
    service = services.add(f"deliver={hanging}", "deliver_timeout=1")
    user = enrol("email")
    started = time.monotonic()
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        # The prompt did not wait for the program: it is still there to be found.
        assert wait_until(lambda: processes.with_argument(duration) != []), "the program ended before the prompt"
        talk.answer("123456")
        result = talk.finish()
    elapsed = time.monotonic() - started
    assert not result.authenticated, result
    assert shown(result) == [PROMPT], result
    assert elapsed < 6, f"the login took {elapsed:.1f} s with deliver_timeout=1"
    no_process_left(result)
    assert processes.with_argument(duration) == []
    assert sent_code_record(user.account.secret_file) is None
    logged_exactly(syslog, user.name, [delivery_failed(user, TIMED_OUT), refused("wrong code")])


def test_a_hanging_program_is_killed_with_its_children(services, programs, enrol, syslog):
    """Delivery programs are scripts that wait for a child (deliver-sms for
    curl, deliver-email for sendmail). At the time limit that child must go
    too, or it delivers a code that was already discarded, and lives on.
    Here the answer comes after the time limit has passed."""
    hanging, duration = hanging_program(programs, "deliver-child-hangs", "cat >/dev/null\nsleep {duration}\n")
    service = services.add(f"deliver={hanging}", "deliver_timeout=1")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        time.sleep(1.5)
        talk.answer("123456")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT], result
    # The killed grandchild is adopted by the test's subreaper and shows as a
    # zombie until it reaps it (under sshd, init reaps it): what must not be
    # left is anything still running.
    alive = [process for process in result.leftovers if process["state"] != "Z"]
    assert alive == [], f"processes left running: {alive}"
    assert processes.with_argument(duration) == []
    logged_exactly(syslog, user.name, [delivery_failed(user, TIMED_OUT), refused("wrong code")])


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
        talk.expect(PROMPT)
        talk.answer("")
        talk.expect(PROMPT)
        talk.answer("123456")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], result
    no_process_left(result)
    assert not marker.exists(), "the program ran"
    assert sent_code_record(user.account.secret_file) is None
    refused_program = delivery_failed(
        user, f"delivery command refused: {writable}: unsafe directory: is writable by group or others (mode 0777)")
    logged_exactly(syslog, user.name, [refused_program, refused_program, refused("wrong code")])
