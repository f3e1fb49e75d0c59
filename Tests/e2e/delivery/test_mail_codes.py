"""Codes by e-mail or SMS: codes by e-mail through pamtester: expiry, resend, max_sends, single use, app users."""

import re
import time

from delivery_support import EXPIRED, TOO_MANY, TOO_SOON, log_line, offer_prompt, sent_prompt
from rigs.codes import totp
from rigs.sent_codes import code_in_mail, sent_code_record


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
