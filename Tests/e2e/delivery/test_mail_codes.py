"""Codes by e-mail or SMS: codes by e-mail through pamtester: the code sent
at the start, single use, expiry, resend, max_sends, app users, and the
same words for every user.

The user is told nothing about deliveries beyond one line after an empty
answer; what was sent, and why not, is asserted through the log lines and
the mailbox. The module waits for a program it started before it returns,
so once pamtester has exited every mail the login sent is in the mailbox."""

import time
import uuid

from delivery_support import (EXPIRED, MAX_SENDS, MAX_SENDS_LAST_WORKS, ON_ITS_WAY, PROMPT, REPLAYED,
                              SENT_CODE_ACCEPTED, STILL_WORKS, TOO_SOON, events, logged_exactly, no_process_left,
                              program_done, refused, sent, shown, wait_for)
from rigs.codes import totp, wrong_totp
from rigs.sent_codes import appears, code_in_mail, sent_code_record


def other_than(code: str) -> str:
    """A well-formed code that is not CODE."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_a_user_without_an_app_is_sent_a_code_at_the_start_without_a_word(services, deliver_email, smtp, enrol,
                                                                           syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        [mail] = smtp.take()
        assert mail["To"] == user.address
        code = code_in_mail(mail)
        # Only a salted hash of it is kept.
        record = sent_code_record(user.account.secret_file)
        assert record is not None and record.matches(code)
        assert not appears(code, user.account.secret_file.read_text())
        talk.answer(code)
        result = talk.finish()
    assert result.authenticated, result
    # The prompt is everyone's: no address, no channel, no "sent".
    assert shown(result) == [PROMPT], result
    no_process_left(result)
    assert sent_code_record(user.account.secret_file) is None
    # The next login sends a new code at its start, and the used one no longer works.
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        [fresh] = smtp.take()
        assert code_in_mail(fresh) != code
        talk.answer(code)
        again = talk.finish()
    assert not again.authenticated, again
    assert shown(again) == [PROMPT], again
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [sent(user), SENT_CODE_ACCEPTED, sent(user), refused("wrong code")])


def test_a_sent_code_works_once(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer("")
        talk.expect(PROMPT)
        [mail] = smtp.take()
        talk.answer(code_in_mail(mail))
        first = talk.finish()
    assert first.authenticated, first
    assert shown(first) == [PROMPT, ON_ITS_WAY, PROMPT], first
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer(code_in_mail(mail))
        again = talk.finish()
    assert not again.authenticated, again
    # Its record is gone: to the module it is just a wrong code.
    assert shown(again) == [PROMPT], again
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [sent(user), SENT_CODE_ACCEPTED, refused("wrong code")])


def test_an_expired_code_is_refused_with_an_error_and_enter_gets_an_information(services, deliver_email, smtp,
                                                                                 enrol, syslog, tmp_path):
    """code_ttl: a code past its lifetime is refused, and the user is told
    why (PAM_ERROR_MSG); the words after an empty answer are a
    PAM_TEXT_INFO. pamtester's conversation (libpam's misc_conv) writes
    the one to stderr, the other to stdout, which goes to a file here."""
    service = services.add(f"deliver={deliver_email}", "code_ttl=2")
    user = enrol("email")
    information = tmp_path / "text-info"
    with services.talk(service, user.name, info_to=information) as talk:
        talk.expect(PROMPT)
        [mail] = smtp.take()
        talk.answer("")  # moments after the first: nothing new is sent
        talk.expect(PROMPT)
        # Stored as whole seconds: 2.5 s after arrival is past the expiry.
        time.sleep(2.5)
        talk.answer(code_in_mail(mail))
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT, PROMPT, EXPIRED], result
    assert information.read_text() == ON_ITS_WAY + "\n"
    assert sent_code_record(user.account.secret_file) is None
    assert smtp.unseen() == []
    # The masked address may be logged, the full one never (checked after every test).
    logged_exactly(syslog, user.name, [sent(user), TOO_SOON, refused("sent code expired")])


def test_resend_is_refused_until_resend_after_then_the_new_code_replaces_the_old(services, deliver_email, smtp,
                                                                                  enrol, syslog):
    service = services.add(f"deliver={deliver_email}", "resend_after=3")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        [first] = smtp.take()
        arrived = time.time()
        talk.answer("")  # too soon: nothing is sent, and the user is told what anyone is told
        talk.expect(PROMPT)
        # Whole seconds again: 3.2 s after the first mail, resend_after has passed.
        time.sleep(max(0.0, arrived + 3.2 - time.time()))
        talk.answer("")
        talk.expect(PROMPT)
        [second] = smtp.take()
        old, new = code_in_mail(first), code_in_mail(second)
        assert old != new
        talk.answer(old)
        replaced = talk.finish()
    assert not replaced.authenticated, "the replaced code still worked: " + replaced.transcript
    # Sent or not, the same words.
    assert shown(replaced) == [PROMPT, ON_ITS_WAY, PROMPT, ON_ITS_WAY, PROMPT], replaced
    assert smtp.unseen() == [], "a code was sent before resend_after"
    # A login moments later asks for the fresh code: nothing new is sent, and
    # it works (the replaced code counted as a wrong one: the user is told).
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer(new)
        result = talk.finish()
    assert result.authenticated, result
    assert shown(result) == [PROMPT, "Warning: 1 wrong verification code was entered since your last login."], result
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [
        sent(user), TOO_SOON, sent(user), refused("wrong code"),
        STILL_WORKS, SENT_CODE_ACCEPTED + " failures_before=1",
    ])


def test_max_sends_stops_sending_and_the_login_goes_on(services, deliver_email, smtp, enrol, syslog):
    """Once max_sends codes went out and none of them works any more, no
    code is sent, at the start or on request; the user hears the same
    words as ever and can still log in another way (a scratch code). While
    the last code still works it is asked for instead: see the next test."""
    service = services.add(f"deliver={deliver_email}", "resend_after=0", "max_sends=2/60", "code_ttl=1")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        smtp.take()
        talk.answer("")
        talk.expect(PROMPT)
        [second] = smtp.take()
        time.sleep(1.2)  # the second code expires
        talk.answer("")  # it would be the third code in the window
        talk.expect(PROMPT)
        talk.answer(user.account.scratch_codes[0])
        by_scratch = talk.finish()
    assert by_scratch.authenticated, by_scratch
    assert shown(by_scratch) == [PROMPT, ON_ITS_WAY, PROMPT, ON_ITS_WAY, PROMPT], by_scratch
    assert smtp.unseen() == []
    # A new login within the window gets no code either, at its start or on Enter.
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer("")
        talk.expect(PROMPT)
        talk.answer(code_in_mail(second))
        again = talk.finish()
    assert not again.authenticated, again
    assert shown(again) == [PROMPT, ON_ITS_WAY, PROMPT, EXPIRED], again
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [
        sent(user), sent(user), MAX_SENDS, "result=success method=scratch_code",
        MAX_SENDS, MAX_SENDS, refused("sent code expired"),
    ])


def test_the_last_code_still_works_after_max_sends_is_reached(services, deliver_email, smtp, enrol, syslog):
    """max_sends stops codes being sent, not the one already sent: a user
    who asked for codes up to the limit and then reconnects (after
    resend_after) still logs in with the last code, which has not expired."""
    service = services.add(f"deliver={deliver_email}", "resend_after=1", "max_sends=2/60", "code_ttl=60")
    user = enrol("email")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        smtp.take()
        # Whole seconds: 1.2 s after the mail, resend_after=1 has passed.
        time.sleep(1.2)
        talk.answer("")
        talk.expect(PROMPT)
        [last] = smtp.take()
        # The connection drops here, before the code is typed.
    time.sleep(1.2)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)  # the last code still works: none is sent
        talk.answer("")  # past resend_after, but max_sends is reached
        talk.expect(PROMPT)
        talk.answer(code_in_mail(last))
        result = talk.finish()
    assert result.authenticated, "a login with the unexpired last code was refused: " + result.transcript
    assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], result
    assert smtp.unseen() == []
    # The dropped login: pamtester either dies of the hangup (and logs no
    # more), or its conversation fails first and the module waits for the
    # second program, then logs both.
    second_login = [STILL_WORKS, MAX_SENDS_LAST_WORKS, SENT_CODE_ACCEPTED]
    assert events(syslog, user.name) in (
        [sent(user), *second_login],
        [sent(user), sent(user), 'result=error reason="conversation failed (19)"', *second_login],
    ), events(syslog, user.name)


def test_app_user_gets_a_mail_code_only_on_enter_and_the_app_needs_no_mail(services, deliver_email, smtp, enrol,
                                                                         syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer("")
        talk.expect(PROMPT)
        [mail] = smtp.take()
        assert mail["To"] == user.address
        talk.answer(code_in_mail(mail))
        by_mail = talk.finish()
    assert by_mail.authenticated, by_mail
    assert shown(by_mail) == [PROMPT, ON_ITS_WAY, PROMPT], by_mail
    code = totp(user.account.secret)
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer(code)
        by_app = talk.finish()
    assert by_app.authenticated, by_app
    assert shown(by_app) == [PROMPT], by_app
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        talk.answer(code)
        replayed = talk.finish()
    assert not replayed.authenticated, replayed
    assert shown(replayed) == [PROMPT, REPLAYED], replayed
    # One mail: the one asked for. Logins with the app send none.
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [
        sent(user), SENT_CODE_ACCEPTED, "result=success method=totp", refused("code already used"),
    ])


def test_enter_gets_the_same_words_for_every_user(services, deliver_email, smtp, enrol, app_only, users, syslog):
    """An empty answer tells no one whether the account has an address, an
    app, or exists: a user without an app and with an address (whose code
    went out at the start, so this one is too soon), one with an app and
    an address (sent now), one with an app only, one not enrolled and a
    name that is no account all see exactly the same."""
    service = services.add(f"deliver={deliver_email}")
    no_app, with_app, only_app = enrol("email"), enrol("email", app=True), app_only()
    unenrolled = users.create("otpdl").pw_name
    nobody = "otpdl" + uuid.uuid4().hex[:8]
    logins = {}
    for name, wrong in [(no_app.name, None), (with_app.name, wrong_totp(with_app.account.secret)),
                        (only_app.name, wrong_totp(only_app.secret)), (unenrolled, "123456"), (nobody, "123456")]:
        with services.talk(service, name) as talk:
            talk.expect(PROMPT)
            # As a person would: the code sent at the start has gone out.
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            talk.answer("")
            talk.expect(PROMPT)
            # A program still running when the login ends is stopped: let
            # the one just started hand its mail over first.
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            if wrong is None:
                [mail] = smtp.take()  # sent at the start
                assert mail["To"] == no_app.address
                wrong = other_than(code_in_mail(mail))
            talk.answer(wrong)
            logins[name] = talk.finish()
    for name, result in logins.items():
        assert shown(result) == [PROMPT, ON_ITS_WAY, PROMPT], (name, result)
        assert not result.authenticated, (name, result)
        no_process_left(result)
    # The one code asked for went to the user with an app and an address.
    [mail] = smtp.take()
    assert mail["To"] == with_app.address
    assert smtp.unseen() == []
    logged_exactly(syslog, no_app.name, [sent(no_app), TOO_SOON, refused("wrong code")])
    logged_exactly(syslog, with_app.name, [sent(with_app), refused("wrong code")])
    logged_exactly(syslog, only_app.name, [refused("wrong code")])
    logged_exactly(syslog, unenrolled, [refused("not enrolled")])
    logged_exactly(syslog, nobody, [refused("unknown user")])


def test_a_login_asks_at_most_four_times(services, deliver_email, smtp, enrol, syslog):
    service = services.add(f"deliver={deliver_email}")
    user = enrol("email", app=True)
    with services.talk(service, user.name) as talk:
        for _ in range(4):
            talk.expect(PROMPT)
            # The program a request started is running by the next prompt:
            # let the one mail asked for go out before the next answer.
            assert wait_for(lambda: program_done(deliver_email)), "deliver-email did not end"
            talk.answer("")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT, ON_ITS_WAY] * 3 + [PROMPT], result
    [mail] = smtp.take()
    assert mail["To"] == user.address
    assert smtp.unseen() == []
    logged_exactly(syslog, user.name, [sent(user), TOO_SOON, TOO_SOON, TOO_SOON, refused("answer is not a code")])
