"""Codes by e-mail or SMS: deliveries that fail refuse the login cleanly."""

import os
import re
import secrets
import stat
import time

from delivery_support import log_line, not_sent, refused_before_the_prompt
from rigs import processes
from rigs.sent_codes import sent_code_record



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
