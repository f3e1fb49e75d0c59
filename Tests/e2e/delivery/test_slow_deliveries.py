"""Codes by e-mail or SMS: a delivery program that takes its time. The
module starts it and never waits for it: the next question and the
verdict come at once, after a right password as after a wrong one (the
decoy line starts no program), and a program still running when the
login ends is stopped.

The order of events is read from the timestamps the program writes (when
it exited) against the test's own clock reading when a prompt or the
verdict arrived, with a 3-second program: no timing threshold."""

import time

from delivery_support import (ON_ITS_WAY, PROMPT, SENT_CODE_ACCEPTED, STOPPED, delivery_failed, logged_exactly,
                              no_process_left, refused, sent, shown)


def test_the_prompt_after_enter_does_not_wait_for_a_slow_program(services, tracing, enrol, syslog):
    """A user with an app asks for a code; the program sleeps 3 s, then
    hands the code over (here: to its trace) and exits 0. The next prompt
    arrives while it sleeps, and the code works once it is there."""
    program = tracing("deliver-slow", sleep=3, code_at="exit")
    service = services.add(f"deliver={program.path}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer("")
        talk.expect(PROMPT)
        prompted = time.time()
        running_at_prompt = not program.has(user.name, "exited")
        code = program.code(user.name)
        talk.answer(code)
        result = talk.finish()
    assert running_at_prompt, "the prompt after Enter waited for the delivery program"
    assert prompted < program.when(user.name, "exited")
    assert result.authenticated, result
    assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], result
    no_process_left(result)
    logged_exactly(syslog, user.name, [sent(user), SENT_CODE_ACCEPTED])


def test_neither_the_first_prompt_nor_the_verdict_waits_for_the_program(services, tracing, enrol, syslog):
    """A user without an app: the code goes out at the start. The program
    has the code at once but takes 3 s to exit. The code, answered at once,
    is judged and accepted while the program still runs; the login then
    ends, and the program with it."""
    program = tracing("deliver-slow-start", sleep=3, code_at="start")
    service = services.add(f"deliver={program.path}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        code = program.code(user.name)
        talk.answer(code)
        result = talk.finish()
    assert not program.has(user.name, "exited"), "the verdict waited for the program"
    assert result.authenticated, result
    assert shown(result) == [PROMPT], result
    no_process_left(result)
    logged_exactly(syslog, user.name, [delivery_failed(user, STOPPED), SENT_CODE_ACCEPTED])


def test_a_wrong_code_is_refused_without_waiting_for_the_program(services, tracing, enrol, syslog):
    """The decoy line (after a wrong password) starts no program and
    refuses a wrong code at once. The real line, for a user without an app
    and with an address, started one at the start of the login; had it
    waited for that program before refusing, the time from the answer to
    the refusal would be the program's run time (an SMS gateway's second)
    after a right password, and none after a wrong one: a password oracle."""
    program = tracing("deliver-slow-refusal", sleep=3, code_at="start")
    service = services.add(f"deliver={program.path}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        code = program.code(user.name)
        talk.answer(f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}")
        result = talk.finish()
    assert not program.has(user.name, "exited"), "the refusal of a wrong code waited for the program"
    assert not result.authenticated, result
    no_process_left(result)
    logged_exactly(syslog, user.name, [delivery_failed(user, STOPPED), refused("wrong code")])
