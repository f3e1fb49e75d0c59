"""Codes and alerts through a messaging service: the shipped
scripts/deliver-push as both deliver= and notify=, against an HTTP server
on loopback standing in for ntfy.

A user whose address is push:TARGET logs in with the code the program
posted for them (read from what the server received, as the user's phone
would show it); a wrong code before it makes that success raise the
`failures` alert, which the same program posts to the administrators'
topic and to the user's."""

import json
import re
import secrets
import uuid

import pytest

from delivery_support import PROMPT, no_process_left, program_done, shown, wait_for
from rigs import processes
from rigs.accounts import enrolled
from rigs.delivery_programs import write_setting_file
from rigs.http_sink import HttpSink
from rigs.pamstack import pamtester
from rigs.sent_codes import appears

ALERT_TOPIC = "pam-otp-e2e-alerts"


@pytest.fixture(scope="module")
def push_service(etc_pam_otp):
    # Answers after a second: long enough to look at curl while it waits.
    with HttpSink(delay=1.0) as sink:
        yield sink


@pytest.fixture
def push_token(push_service) -> str:
    """deliver-push's settings: the service's URL, a fresh token, the
    administrators' topic; root's, 0600."""
    token = secrets.token_urlsafe(24)
    write_setting_file("deliver-push.conf", f"URL={push_service.url}\nTOKEN={token}\nALERT_TOPIC={ALERT_TOPIC}\n", 0o600)
    push_service.clear()
    return token


@pytest.fixture(scope="module")
def deliver_push(programs):
    return programs.shipped("deliver-push")


def posted(request) -> dict:
    return json.loads(request.body)


def code_in_push(message: str) -> str:
    match = re.fullmatch(r"Your verification code for \S+ is (\d{6,8})", message)
    assert match, f"no code in the push message: {message!r}"
    return match.group(1)


def test_a_push_user_logs_in_with_the_posted_code_and_the_failures_alert_is_posted(
        services, deliver_push, push_service, push_token, users, otpctl, request):
    target = f"otp-e2e-{uuid.uuid4().hex[:12]}"
    account = enrolled(users, otpctl, "--deliver", f"push:{target}", "--no-app", prefix="otpdl")
    service = services.add(f"deliver={deliver_push}", f"notify={deliver_push}")

    # The code goes out at the start of the login; a wrong one is refused.
    with services.talk(service, account.name) as talk:
        talk.expect(PROMPT)
        assert push_service.received.wait(15), "nothing reached the service"
        # The service holds its answer back: curl is still running now.
        curls = processes.running("curl", under=talk.child.pid)
        leaks = processes.showing(push_token)
        [first] = push_service.requests
        code = code_in_push(posted(first)["message"])
        assert wait_for(lambda: program_done(deliver_push)), "deliver-push did not end"
        talk.answer(f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}")
        refused = talk.finish()
    assert not refused.authenticated, refused
    assert shown(refused) == [PROMPT], refused
    no_process_left(refused)
    assert curls and all(arguments[-2:] == ["--config", "-"] for arguments in curls), curls
    assert leaks == [], f"the token is visible in /proc: {leaks}"
    assert first.headers["authorization"] == f"Bearer {push_token}"
    assert first.headers["content-type"] == "application/json"
    assert posted(first)["topic"] == target

    # The next login asks for that code (it still works) and sends none.
    result = pamtester(services.directory, service, account.name, [code])
    assert result.authenticated, result
    assert result.count(PROMPT) == 1

    # The success after a wrong code: the alert, to both topics.
    assert wait_for(lambda: len(push_service.requests) >= 3, timeout=15), push_service.requests
    alerts = {posted(sent)["topic"]: posted(sent)["message"] for sent in push_service.requests[1:]}
    assert set(alerts) == {ALERT_TOPIC, target}, alerts
    assert f"{account.name} logged in ({service} from a local terminal) after 1 wrong code" in alerts[ALERT_TOPIC]
    assert "after 1 wrong verification code" in alerts[target]
    for message in alerts.values():
        assert not appears(code, message) and not appears(account.secret, message), message
    assert all(sent.headers["authorization"] == f"Bearer {push_token}" for sent in push_service.requests)

    try:
        syslog = request.getfixturevalue("syslog")
    except pytest.skip.Exception:
        return
    log = syslog.text(settle=0.5)
    for secret in (code, target, push_token):
        assert not appears(secret, log), f"{secret!r} is in the log:\n{log}"
    # The target is masked to its first two characters.
    assert f"user={account.name} service={service} rhost=- tty=- code sent by push message to ot***" in log, log
