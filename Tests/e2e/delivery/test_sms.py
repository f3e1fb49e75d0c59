"""Codes by e-mail or SMS: the SMS example against an HTTP gateway on loopback."""

import json
import os

from delivery_support import (PROMPT, SENT_CODE_ACCEPTED, SMS_SENDER, delivery_failed, logged_exactly,
                              no_process_left, program_done, refused, sent, shown, wait_for)
from rigs import processes
from rigs.sent_codes import code_in_sms, sent_code_record


def test_sms_example_posts_the_code_with_the_token_in_a_header(services, deliver_sms, sms_gateway, sms_token, enrol,
                                                                syslog):
    service = services.add(f"deliver={deliver_sms}")
    user = enrol("sms")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        assert sms_gateway.received.wait(15), "no request reached the gateway"
        # The gateway holds its answer back: curl is still running now.
        curls = processes.running("curl", under=talk.child.pid)
        leaks = processes.showing(sms_token)
        [request] = sms_gateway.requests
        sms = json.loads(request.body)
        # As a person would, the code is typed once the gateway has answered
        # (a program still running when the login ends is stopped).
        assert wait_for(lambda: program_done(deliver_sms)), "deliver-sms did not end"
        talk.answer(code_in_sms(sms["text"]))
        result = talk.finish()
    assert result.authenticated, result
    assert shown(result) == [PROMPT], result
    no_process_left(result)
    assert curls and all(arguments[-2:] == ["--config", "-"] for arguments in curls), curls
    assert leaks == [], f"the token is visible in /proc: {leaks}"
    assert request.headers["authorization"] == f"Bearer {sms_token}"
    assert request.headers["content-type"] == "application/json"
    assert sms["to"] == user.address and sms["from"] == SMS_SENDER
    assert sms_token not in request.path
    logged_exactly(syslog, user.name, [sent(user, "by SMS"), SENT_CODE_ACCEPTED])


def test_sms_settings_readable_by_others_are_refused(services, deliver_sms, sms_gateway, sms_token, enrol, syslog):
    os.chmod("/etc/pam_otp/deliver-sms.conf", 0o644)
    service = services.add(f"deliver={deliver_sms}")
    user = enrol("sms")
    with services.talk(service, user.name) as talk:
        talk.expect(PROMPT)
        assert wait_for(lambda: program_done(deliver_sms)), "deliver-sms did not end"
        talk.answer("123456")
        result = talk.finish()
    assert not result.authenticated, result
    assert shown(result) == [PROMPT], result
    no_process_left(result)
    assert sms_gateway.requests == []
    # deliver-sms exits 78 (EX_CONFIG) for settings it will not trust.
    logged_exactly(syslog, user.name, [
        delivery_failed(user, "delivery command exited with status 78"), refused("wrong code"),
    ])
