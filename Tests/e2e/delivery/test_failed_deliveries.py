"""Codes by e-mail or SMS: deliveries that fail. The user hears nothing of
it (the login goes on as for anyone); the log says why; nothing is
written for it (the decoy line, which starts no program, could not do the
same work), so the undelivered code stays stored until it expires, known
to no one; and the module leaves no process behind."""

import os
import re
import secrets
import stat
import time

from delivery_support import (ON_ITS_WAY, PROMPT, STOPPED, TOO_SOON, delivery_failed, logged_exactly,
                              no_process_left, program_done, refused, shown, wait_for)
from rigs import processes
from rigs.sent_codes import sent_code_record


def sent_code_record_of(contents: bytes) -> str | None:
    """The DELIVERY_CODE line of a secret file's bytes, as written."""
    lines = [line for line in contents.decode().splitlines() if line.startswith('" DELIVERY_CODE ')]
    return lines[0] if lines else None


def sent_code_line(path) -> str | None:
    return sent_code_record_of(path.read_bytes())


def test_mail_server_down_is_logged_and_the_login_goes_on(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email")
    with smtp.down(), services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        stored = user.account.secret_file.read_bytes()
        assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
        talk.answer("")  # the code sent at the start still counts: none is sent moments later
        talk.expect(PROMPT)
        talk.answer("123456")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], result
    no_process_left(result)
    assert smtp.unseen() == []
    failed = re.compile(re.escape(delivery_failed(user, "delivery command exited with status ")) + r"[1-9]\d*")
    logged_exactly(syslog, user.name, [failed, TOO_SOON, refused("wrong code")])
    # The failure wrote nothing: the record is the one stored at the send.
    assert sent_code_line(user.account.secret_file) == sent_code_record_of(stored) is not None


def test_a_program_that_fails_changes_nothing_but_the_log(services, tracing, enrol, syslog):
    """The program gets the code and says no (exit 3). The module finds out
    at the next answer, without waiting, and logs it; the stored code is
    left as it was (no write the decoy line could not mirror) and the wrong
    answer is refused as any other."""
    program = tracing("deliver-fails", sleep=0, status=3, code_at="start")
    service = services.add(f"deliver={program.path}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        code = program.code(user.name)
        program.wait(user.name, "exited")
        stored = user.account.secret_file.read_bytes()
        talk.answer(f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT], result
    no_process_left(result)
    assert sent_code_line(user.account.secret_file) == sent_code_record_of(stored) is not None
    logged_exactly(syslog, user.name, [delivery_failed(user, "delivery command exited with status 3"),
                                       refused("wrong code")])


def hanging_program(programs, name: str, body: str):
    """A program that sleeps for a duration unique to this test, so its
    sleep can be found in the process list."""
    duration = f"30.{secrets.randbelow(10**6):06d}"
    return programs.install(name, "#!/bin/sh\n" + body.format(duration=duration)), duration


TIMED_OUT = "delivery command ran past its time limit and was killed"


def test_a_program_still_running_when_the_login_ends_is_stopped(services, programs, enrol, syslog):
    hanging, duration = hanging_program(programs, "deliver-hangs", "cat >/dev/null\nexec sleep {duration}\n")
    service = services.add(f"deliver={hanging}", "deliver_timeout=15")
    user = enrol("email")
    started = time.monotonic()
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        # The prompt did not wait for the program: it is still there to be found.
        assert wait_for(lambda: processes.with_argument(duration) != []), "the program ended before the prompt"
        talk.answer("123456")
        result = talk.finish()
    elapsed = time.monotonic() - started
    assert not result.authenticated, result
    assert shown(result) == [PROMPT], result
    assert elapsed < 6, f"the login took {elapsed:.1f} s: it waited for the program"
    no_process_left(result)
    assert processes.with_argument(duration) == []
    logged_exactly(syslog, user.name, [delivery_failed(user, STOPPED), refused("wrong code")])


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
    refused_program = delivery_failed(
        user, f"delivery command refused: {writable}: unsafe directory: is writable by group or others (mode 0777)")
    logged_exactly(syslog, user.name, [refused_program, TOO_SOON, refused("wrong code")])
