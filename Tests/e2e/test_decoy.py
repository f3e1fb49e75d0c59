"""The decoy line cannot be told from the real one (issue 9).

The shipped stacks run

    auth [success=1 default=ignore]  pam_unix.so nodelay
    auth [default=die]               pam_otp.so decoy
    auth required                    pam_otp.so
    auth required                    pam_permit.so

so a wrong password lands on the decoy line and a right one on the real
line. Whoever does not know the password must not learn from what they see
whether it was right, nor whether the user is enrolled; and the decoy must
change nothing and send nothing.

Each case runs the auth lines of Debian's /etc/pam.d/sshd or sudo with the
recipe pam.d/password-then-code in place of `@include common-auth` (the
module field pointed at the build under test) through the
real libpam with a frozen wall clock (rigs/transcript_host.c), for

- one kind of user: enrolled with an app (TOTP, otpctl's defaults); not
  enrolled; an app and an e-mail address; the address only (a file of
  scratch codes and the address); over the rate limit; in a back-off; not
  enrolled with `nullok` on both pam_otp lines. deliver= (a program that
  records codes instead of sending them) is on both lines for the users
  with an address;
- one first-pass mode, its option on both pam_otp lines: none;
  try_first_pass; use_first_pass (the password, which pam_unix hands on,
  ends in the code); forward_pass (the code prompt is answered with the
  password and the code);

and one scenario:

- wrong_code: (a) a wrong password, then a wrong code; (b) the right
  password, then the same wrong code;
- enter_enter (users with a delivery address): (a') a wrong password, then
  Enter and Enter again; (b') the right password, then the same. After the
  last answer the user hangs up.

Both runs of a pair start from identical copies of the secret file at the
same second. The transcripts (every prompt with its echo style, every error
and info message, in order) and the PAM results must be equal, and the
decoy run must leave the file exactly as it was and send nothing.

A second set compares users with each other: after a wrong password, an
enrolled user sees what a user who is not enrolled sees, through the same
stack (issue 9, item 4).

Not compared here, on purpose (the README documents them): with `nullok` a
user who is not enrolled passes on the right password alone, so the
results of (a) and (b) differ there (the transcripts must not); a user over
the rate limit or in a back-off is refused before any code prompt on both
lines, which shows a stranger that the user is enrolled.
"""

import pytest

from decoy_support import (DELIVERY_KINDS, DELIVERY_ONLY, ENTER_ENTER, KINDS, MODES, NOT_ENROLLED,
                           NOT_ENROLLED_NULLOK, STACKS, TOTP, WRONG_CODE, Case, Recorder, UserPool, frozen_now,
                           scenarios)
from rigs.delivery_programs import ProgramDirectory
from rigs.transcripts import PAM_AUTH_ERR, PAM_SUCCESS, PROMPT_HIDDEN, build_host, result_name

PASSWORD_PROMPT = ((PROMPT_HIDDEN, "Password: "),)


@pytest.fixture(scope="module")
def recorder(tmp_path_factory):
    with ProgramDirectory() as programs:
        yield Recorder(programs, tmp_path_factory.mktemp("sends") / "sends.log")


@pytest.fixture(scope="module")
def host_binary(tmp_path_factory):
    return build_host(tmp_path_factory.mktemp("transcript-host"))


@pytest.fixture(scope="module")
def now():
    """The second every run of this module happens at."""
    return frozen_now()


@pytest.fixture(scope="module")
def pool(host_binary, module_path, module_users, otpctl_path, tmp_path_factory, now):
    return UserPool(host_binary, module_path, module_users, otpctl_path, tmp_path_factory.mktemp("pool"), now)


@pytest.fixture
def make_case(host_binary, module_path, recorder, tmp_path, now):
    """make_case(stack, mode, user, deliver): a Case in a directory of its own."""
    count = 0

    def make(stack, mode, user, deliver, at=None) -> Case:
        nonlocal count
        count += 1
        return Case(host_binary, module_path, recorder, tmp_path / f"pam.d-{count}", stack, mode, user,
                    now if at is None else at, deliver)

    return make


def case_id(*parts) -> str:
    return "-".join(parts)


def side_by_side(decoy, real) -> str:
    return f"after a wrong password (decoy line):\n{decoy}\nafter the right password (real line):\n{real}"


PAIRS = [pytest.param(stack, mode, kind, scenario, id=case_id(stack, mode, kind, scenario))
         for stack in STACKS for mode in MODES for kind in KINDS for scenario in scenarios(kind)]


@pytest.mark.parametrize("stack, mode, kind, scenario", PAIRS)
def test_a_wrong_password_looks_like_a_right_one(pool, make_case, recorder, stack, mode, kind, scenario):
    user = pool.get(kind, code_in_password=mode == "use_first_pass")
    case = make_case(stack, mode, user, deliver=kind in DELIVERY_KINDS)

    before = user.fresh()
    sent_before = len(recorder.sends(user.name))
    decoy = case.run(user.wrong_password, scenario)
    after = user.state()
    decoy_sends = recorder.sends(user.name)[sent_before:]

    user.fresh()
    real = case.run(user.password, scenario)

    # Both went through pam_unix first: what follows is the pam_otp lines'.
    for run in (decoy, real):
        assert run.events[:1] == PASSWORD_PROMPT, side_by_side(decoy, real)

    problems = []
    if decoy.events != real.events:
        problems.append("the user sees something different")
    if kind == NOT_ENROLLED_NULLOK:
        # The right password alone lets this user in (roll-out): only the
        # transcripts can be equal, and the wrong password must still fail.
        # The refusal is the same PAM_AUTH_ERR an enrolled user's wrong
        # password ends in, so the stack's result tells no one who enrolled.
        if decoy.result != PAM_AUTH_ERR or real.result != PAM_SUCCESS:
            problems.append(f"nullok: expected {result_name(PAM_AUTH_ERR)} after the wrong password and "
                            f"{result_name(PAM_SUCCESS)} after the right one")
    elif decoy.result != real.result:
        problems.append("the PAM results differ")
    elif real.result == PAM_SUCCESS:
        problems.append("a wrong code was let in")
    if after != before:
        problems.append(f"the decoy changed the secret file or its directory: {before} -> {after}")
    if decoy_sends:
        problems.append(f"the decoy sent {len(decoy_sends)} code(s)")
    assert not problems, "; ".join(problems) + "\n" + side_by_side(decoy, real)


ENROLMENT = [pytest.param(stack, mode, kind, scenario, id=case_id(stack, mode, kind, scenario))
             for stack in STACKS for mode in MODES for kind in (TOTP, *DELIVERY_KINDS)
             for scenario in scenarios(kind)]


@pytest.mark.parametrize("stack, mode, kind, scenario", ENROLMENT)
def test_a_wrong_password_does_not_show_who_is_enrolled(pool, make_case, stack, mode, kind, scenario):
    """After a wrong password, an enrolled user sees what a user without a
    secret file sees through the same lines (deliver= included), typing the
    same answers."""
    code_in_password = mode == "use_first_pass"
    runs = []
    for user in (pool.get(kind, code_in_password), pool.get(NOT_ENROLLED, code_in_password)):
        user.fresh()
        runs.append(make_case(stack, mode, user, deliver=kind in DELIVERY_KINDS).run(user.wrong_password, scenario))
    enrolled, not_enrolled = runs
    assert enrolled.events[:1] == PASSWORD_PROMPT, enrolled
    assert (enrolled.events, enrolled.result) == (not_enrolled.events, not_enrolled.result), (
        f"after a wrong password, enrolled ({kind}):\n{enrolled}\nnot enrolled:\n{not_enrolled}")


# The rig itself: a pair that compares equal must have compared something.


@pytest.fixture(scope="module")
def future_pool(host_binary, module_path, module_users, otpctl_path, tmp_path_factory, now):
    """Users who type their right code ten days ahead, where every code of
    the real clock is wrong."""
    return UserPool(host_binary, module_path, module_users, otpctl_path, tmp_path_factory.mktemp("future-pool"),
                    now + 10 * 86400, right_code=True)


@pytest.mark.parametrize("stack, mode", [pytest.param(stack, mode, id=case_id(stack, mode))
                                         for stack in STACKS for mode in MODES])
def test_the_rig_logs_in_with_the_right_password_and_code(future_pool, make_case, stack, mode):
    """The module reads the host's frozen clock, the stack is the one asked
    for, and the password reaches pam_unix."""
    user = future_pool.get(TOTP, code_in_password=mode == "use_first_pass")
    case = make_case(stack, mode, user, deliver=False, at=future_pool.now)
    user.fresh()
    right = case.run(user.password, WRONG_CODE)  # this pool's users type their right code
    user.fresh()
    wrong = case.run(user.wrong_password, WRONG_CODE)
    assert right.result == PAM_SUCCESS, right
    assert wrong.result == PAM_AUTH_ERR, wrong


def test_the_recorder_sees_what_the_real_line_sends(pool, make_case, recorder):
    """The decoy's "sent nothing" means something: the code the real line
    sends to a user without an app reaches the recording program."""
    user = pool.get(DELIVERY_ONLY)
    case = make_case("sshd", "no_first_pass", user, deliver=True)
    user.fresh()
    sent_before = len(recorder.sends(user.name))
    # Answered as a person would, after a moment: a program still running
    # when the login ends is stopped, and this one must have its say first.
    run = case.run(user.password, ENTER_ENTER, think_ms=300)
    sends = recorder.sends(user.name)[sent_before:]
    assert len(sends) == 1, (sends, str(run))
    _, channel, address, code = sends[0].split(" ")
    assert channel == "email" and address.endswith("@example.com") and len(code) == 6 and code.isdigit(), sends
