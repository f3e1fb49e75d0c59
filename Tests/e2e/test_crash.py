"""SIGKILL in the middle of an authentication, hundreds of times.

A host program (rigs/crash_host.c) authenticates through the real libpam
and is killed by a timer at a random moment of pam_authenticate: before,
during or after the lock, the write of the temporary file, its fsync, the
rename and the directory fsync. After every kill:

- the secret file parses (otpctl status, i.e. OTPCore's parser) and holds
  either the old state or exactly the new one (one scratch code gone, the
  HOTP counter one further, one TOTP step more in DISALLOW_REUSE);
- a process that reported PAM_SUCCESS before it died left the new state;
- a code that was used up (reported or not) is refused when tried again;
- the temporary files killed writes left behind do not stop later logins.

The kill times come from a seeded generator, spread over the measured
length of one authentication, so every run covers every stage; the
properties checked hold wherever a kill lands.
"""

import collections
import math
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pytest

from otpctl_support import SecretFileText
from rigs.codes import hotp, secret_of
from rigs.crash import PAM_AUTH_ERR, PAM_SUCCESS, CrashRig, build_host

KILLS_PER_SCENARIO = 100
WRONG_CODE = "000000"  # calibration answer; a real code equal to it is skipped


@pytest.fixture(scope="module")
def crash_host():
    directory = Path(tempfile.mkdtemp(prefix="pam-otp-crash-host-"))
    try:
        yield build_host(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def workdir():
    directory = Path(tempfile.mkdtemp(prefix="pam-otp-crash-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def state(raw: bytes):
    """The parts of a secret file a login may change, comparable as a
    whole. FAILURES (wrong codes since the last success) is left out: the
    re-tries of used codes add it and the next success removes it. So is
    LAST_USED, the record of when the token last logged in, which each
    success moves on."""
    parsed = SecretFileText.parse(raw)
    options = tuple((key, tuple(values)) for key, values in parsed.options if key not in ("FAILURES", "LAST_USED"))
    return parsed.secret, options, tuple(parsed.scratch_codes)


def with_option(current, key, values):
    secret, options, codes = current
    assert any(name == key for name, _ in options), f"no {key} line in {current}"
    return secret, tuple((name, tuple(values) if name == key else old) for name, old in options), codes


class ScratchCodes:
    """100 scratch codes, used one after another."""

    name = "scratch-codes"
    enrol_arguments = ("--totp", "--scratch-codes", "100", "--no-rate-limit")
    stack_options = ("backoff=0",)

    def next_code(self, rig, current):
        _, _, codes = current
        return codes[0] if codes else None

    def used(self, current, code):
        secret, options, codes = current
        return secret, options, tuple(c for c in codes if c != code)


class HOTPCounter:
    """HOTP: each success moves the counter on by one; a refusal does not
    (no_increment_hotp), so the old and the new state are one step apart."""

    name = "hotp-counter"
    enrol_arguments = ("--hotp", "--scratch-codes", "0", "--no-rate-limit")
    stack_options = ("backoff=0", "no_increment_hotp")

    def counter(self, current):
        _, options, _ = current
        return int(dict(options)["HOTP_COUNTER"][0])

    def next_code(self, rig, current):
        return hotp(secret_of(rig.secret_file), self.counter(current))

    def used(self, current, code):
        return with_option(current, "HOTP_COUNTER", [str(self.counter(current) + 1)])


class TOTPSteps:
    """TOTP with reuse disallowed and a window of 100 steps, so that many
    steps (each with its own code) can be claimed within one 30 s step."""

    name = "totp-steps"
    enrol_arguments = ("--totp", "--window", "100", "--scratch-codes", "0", "--no-rate-limit")
    stack_options = ("backoff=0", "noskewadj")

    def __init__(self):
        self.step_of = {}

    def next_code(self, rig, current):
        secret = secret_of(rig.secret_file)
        _, options, _ = current
        used = {int(step) for step in dict(options)["DISALLOW_REUSE"]}
        center = int(time.time()) // 30
        # Codes of the steps around now; only a code no nearby step shares
        # names its step unambiguously.
        codes = {step: hotp(secret, step) for step in range(center - 60, center + 61)}
        for step in range(center - 40, center + 41):
            code = codes[step]
            if step not in used and list(codes.values()).count(code) == 1:
                self.step_of[code] = step
                return code
        return None

    def used(self, current, code):
        _, options, _ = current
        return with_option(current, "DISALLOW_REUSE", [*dict(options)["DISALLOW_REUSE"], str(self.step_of[code])])


def check_parses(otpctl, rig):
    """OTPCore's own parser (through otpctl) accepts the file."""
    status = otpctl("status", rig.user, "--secret-file", rig.secret_file, "--json")
    assert status.returncode == 0, f"the secret file no longer parses: {status.stderr}"


class KillTimes:
    """When to kill: mostly uniform over the span of one authentication
    (where the lock, write, fsync and rename are), some log-uniform from
    1 us. The span is the median of the recent complete authentications,
    since fsync on this disk takes anything from 1 to 15 ms."""

    def __init__(self, seed: str):
        self.rng = random.Random(seed)
        self.recent = collections.deque(maxlen=15)
        # On a loaded machine a killed run may take far longer than the
        # runs observed whole: the span grows after each kill that came
        # before the rename and shrinks after each run that finished, so the
        # kills keep landing across every stage.
        self.scale = 1.0

    def outcome(self, stage: str):
        if stage == "killed, old state":
            self.scale = min(self.scale * 1.1, 50.0)
        elif stage == "reported, new state":
            self.scale = max(self.scale / 1.1, 0.2)

    def observe(self, run):
        if run.elapsed_ns is not None:
            self.recent.append(run.elapsed_ns)

    @property
    def typical_ns(self) -> float:
        return statistics.median(self.recent) * self.scale

    def next(self) -> int:
        if self.rng.random() < 0.75:
            return int(self.rng.uniform(0.15, 1.3) * self.typical_ns)
        return int(math.exp(self.rng.uniform(math.log(1_000), math.log(self.typical_ns))))


@pytest.mark.parametrize("scenario", [ScratchCodes, HOTPCounter, TOTPSteps], ids=lambda s: s.name)
def test_sigkill_during_an_authentication_never_loses_or_repeats_a_code(
    scenario, crash_host, module_path, otpctl, workdir
):
    scenario = scenario()
    rig = CrashRig(crash_host, module_path, workdir, scenario.stack_options)

    def enrol():
        result = otpctl("enroll", rig.user, "--secret-file", rig.secret_file, "--force", "--qr", "none", "--json",
                        *scenario.enrol_arguments)
        assert result.returncode == 0, result.stderr

    enrol()
    # A first measure of one authentication (a wrong code takes the same
    # lock-write-fsync-rename path as a right one, and uses nothing up).
    kill_times = KillTimes(f"pam_otp crash {scenario.name}")
    for _ in range(5):
        kill_times.observe(rig.run(WRONG_CODE))

    tally = {"killed, old state": 0, "killed, new state": 0, "reported, new state": 0, "stray temp files left": 0}
    used_codes = []
    completed_with_strays = 0
    kills = 0
    # Beyond the planned kills only while a stage was never hit.
    while kills < KILLS_PER_SCENARIO or (not all(tally.values()) and kills < 4 * KILLS_PER_SCENARIO):
        kills += 1
        before = rig.secret_file.read_bytes()
        current = state(before)
        code = scenario.next_code(rig, current)
        if code is None or code == WRONG_CODE:
            enrol()
            before = rig.secret_file.read_bytes()
            current = state(before)
            code = scenario.next_code(rig, current)
        strays_before = len(rig.strays())

        run = rig.run(code, kill_after_ns=kill_times.next())
        kill_times.observe(run)

        after = rig.secret_file.read_bytes()
        check_parses(otpctl, rig)
        new_state = scenario.used(current, code)
        assert state(after) in (current, new_state), (
            f"neither the old nor the new state after a kill:\nbefore:\n{before.decode()}\nafter:\n{after.decode()}"
        )
        advanced = state(after) == new_state
        if run.result is not None:
            assert run.result == PAM_SUCCESS, f"a valid, unused code was refused ({run.result})"
            assert advanced, "success was reported but the file still holds the old state"
            if strays_before:
                completed_with_strays += 1
        stage = ("reported, new state" if run.result is not None else
                 "killed, new state" if advanced else "killed, old state")
        tally[stage] += 1
        kill_times.outcome(stage)
        if len(rig.strays()) > strays_before:
            tally["stray temp files left"] += 1
        if advanced:
            used_codes.append(code)
            again = rig.run(code)
            kill_times.observe(again)
            assert again.result == PAM_AUTH_ERR, f"a used code was accepted again ({again.result})"

    # Every code that was ever used up is still refused at the end.
    for code in used_codes:
        assert rig.run(code).result == PAM_AUTH_ERR, f"used code {code} accepted again"
    # The strays left by killed writes do not stop a login.
    current = state(rig.secret_file.read_bytes())
    code = scenario.next_code(rig, current)
    if code is not None:
        assert rig.run(code).result == PAM_SUCCESS, f"a login failed with {len(rig.strays())} stray files present"
    check_parses(otpctl, rig)

    print(f"\n{scenario.name}: {kills} kills, typical authentication {kill_times.typical_ns / 1e6:.2f} ms, "
          f"{len(used_codes)} codes used up, {len(rig.strays())} stray files at the end, "
          f"{completed_with_strays} reported logins with strays present; {tally}")
    # The kills covered every stage: before the rename (old state; some
    # while the temporary file was being written), after it, and after
    # the result was reported.
    assert all(count > 0 for count in tally.values()), f"a stage was never hit: {tally}"


def test_planted_stray_temporary_files_are_neither_read_nor_in_the_way(crash_host, module_path, otpctl, workdir):
    """What a killed write leaves, made on purpose (the random kills above
    leave them by chance): a torn copy, an empty file, a complete copy of an
    older state. Logins read only the secret file and leave these alone."""
    rig = CrashRig(crash_host, module_path, workdir, ("backoff=0",))
    result = otpctl("enroll", rig.user, "--secret-file", rig.secret_file, "--qr", "none", "--json",
                    "--scratch-codes", "5", "--no-rate-limit")
    assert result.returncode == 0, result.stderr
    original = rig.secret_file.read_bytes()
    planted = {
        f".{rig.user}.{'0' * 16}~": original[: len(original) // 2],
        f".{rig.user}.{'f' * 16}~": b"",
        f".{rig.user}.{'0123456789abcdef'}~": original,
    }
    for name, contents in planted.items():
        (rig.secrets / name).write_bytes(contents)
        (rig.secrets / name).chmod(0o600)
    assert rig.strays() == sorted(planted)

    codes = list(SecretFileText.parse(original).scratch_codes)
    assert rig.run(codes[0]).result == PAM_SUCCESS
    assert rig.run(codes[0]).result == PAM_AUTH_ERR, "the old copy beside the file was read"
    assert rig.run(codes[1]).result == PAM_SUCCESS
    assert codes[0] not in SecretFileText.read(rig.secret_file).scratch_codes
    assert {name: (rig.secrets / name).read_bytes() for name in planted} == planted
    check_parses(otpctl, rig)
