"""The users, stacks and runs of the decoy tests (test_decoy.py).

Every run of a test module happens at one frozen second, NOW, so users
are prepared once per module (one per kind and password shape) and each
run starts from a copy of the user's secret file as it was when prepared.
"""

import json
import os
import secrets
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rigs.accounts import enrolled
from rigs.codes import totp
from rigs.delivery_programs import ProgramDirectory
from rigs.debian import debian_stack
from rigs.pamstack import auth_lines, private_service_dir, with_options_on_every
from rigs.transcripts import PAM_AUTH_ERR, PAM_SUCCESS, Transcript, TranscriptHost

STACKS = ("sshd", "sudo")

# First-pass modes: the options added to both pam_otp lines.
MODES = {
    "no_first_pass": (),
    "try_first_pass": ("try_first_pass",),
    "use_first_pass": ("use_first_pass",),
    "forward_pass": ("forward_pass",),
}

TOTP = "totp"
NOT_ENROLLED = "not_enrolled"
APP_AND_DELIVERY = "app_and_delivery"
DELIVERY_ONLY = "delivery_only"
RATE_LIMITED = "rate_limited"
BACKING_OFF = "backing_off"
NOT_ENROLLED_NULLOK = "not_enrolled_nullok"
KINDS = (TOTP, NOT_ENROLLED, APP_AND_DELIVERY, DELIVERY_ONLY, RATE_LIMITED, BACKING_OFF, NOT_ENROLLED_NULLOK)
DELIVERY_KINDS = (APP_AND_DELIVERY, DELIVERY_ONLY)

# What the user does after the password: types the code (a wrong one,
# unless a test says otherwise), or presses Enter twice (asks for a code by
# e-mail or SMS, then for another).
WRONG_CODE = "wrong_code"
ENTER_ENTER = "enter_enter"

# The items the applications set: sshd the remote host and "ssh", sudo the terminal.
ITEMS = {"sshd": ("rhost=127.0.0.1", "tty=ssh"), "sudo": ("tty=/dev/pts/0",)}

SECRETS_DIR = Path("/var/lib/pam_otp")


def scenarios(kind: str) -> tuple:
    return (WRONG_CODE, ENTER_ENTER) if kind in DELIVERY_KINDS else (WRONG_CODE,)


def frozen_now() -> int:
    """The middle of the current 30 s step."""
    return int(time.time()) // 30 * 30 + 15


def is_wrong_at(code: str, secret: str, now: int) -> bool:
    """No step within GA's skew search (±1500 steps, and some) makes CODE,
    so the real line's refusal is a plain wrong code."""
    return all(totp(secret, now + 30 * offset) != code for offset in range(-1600, 1601))


class Recorder:
    """A deliver= program that records each code it is given instead of
    sending it: one line `USER CHANNEL ADDRESS CODE` per send."""

    def __init__(self, programs: ProgramDirectory, log: Path):
        self.log = log
        log.touch()
        self.program = programs.install("deliver-record", "\n".join([
            "#!/bin/sh",
            "# pam_otp decoy tests: records the code instead of sending it.",
            "code=$(cat)",
            f'printf "%s %s %s %s\\n" "$PAM_USER" "$1" "$2" "$code" >> {log}',
            "",
        ]))

    def sends(self, user: str) -> list:
        return [line for line in self.log.read_text().splitlines() if line.split(" ", 1)[0] == user]


@dataclass(frozen=True)
class FileState:
    """What the decoy must not change: the secret file's bytes, mode and
    owner, and the names of the files beside it that carry the user's name
    (an update's temporary file, say). Its inode and times may change: a
    decoy that does the real line's work may also rewrite the same bytes."""

    content: bytes | None
    mode_and_owner: tuple | None
    neighbours: tuple

    @classmethod
    def of(cls, path: Path, user: str):
        try:
            info = path.stat()
            content, mode_and_owner = path.read_bytes(), (info.st_mode, info.st_uid, info.st_gid)
        except FileNotFoundError:
            content, mode_and_owner = None, None
        names = os.listdir(path.parent) if path.parent.exists() else []
        return cls(content, mode_and_owner, tuple(sorted(name for name in names if user in name)))


@dataclass
class User:
    """A prepared user: passwords, the code they type, and their secret
    file as it was once prepared (None: not enrolled)."""

    kind: str
    name: str
    password: str
    wrong_password: str
    code: str
    pristine: bytes | None

    @property
    def secret_file(self) -> Path:
        return SECRETS_DIR / self.name

    def state(self) -> FileState:
        return FileState.of(self.secret_file, self.name)

    def fresh(self) -> FileState:
        """Puts back the secret file as prepared; returns its state."""
        if self.pristine is None:
            self.secret_file.unlink(missing_ok=True)
        else:
            self.secret_file.write_bytes(self.pristine)
            os.chown(self.secret_file, 0, 0)
            os.chmod(self.secret_file, 0o600)
        return self.state()


class UserPool:
    """Throwaway users, one per kind and password shape, prepared at NOW
    (rate limit and back-off set up through the module itself).

    Every user types the same code: one that is wrong for all of them, or
    with `right_code` each user's right code at NOW. A password ends in a
    letter, so no code hides in it, or, for use_first_pass (where the code
    can only come at the end of the password pam_unix hands on), in the
    code."""

    def __init__(self, host_binary: Path, module: Path, users, otpctl_path: Path, directory: Path, now: int,
                 right_code: bool = False):
        self.users, self.otpctl_path, self.now, self.right_code = users, otpctl_path, now, right_code
        self.code = f"{secrets.randbelow(1_000_000):06d}"
        self.host = TranscriptHost(host_binary, private_service_dir(directory, {
            # The password alone, to check each user's passwords.
            "password-only": "auth required pam_unix.so nodelay\n",
            # The code alone, to bring a user into a rate limit or a back-off.
            "code-only": f"auth required {module}\n",
        }))
        self._prepared = {}

    def get(self, kind: str, code_in_password: bool = False) -> User:
        key = (kind, code_in_password)
        if key not in self._prepared:
            self._prepared[key] = self._prepare(kind, code_in_password)
        return self._prepared[key]

    def _otpctl(self, *arguments):
        return subprocess.run([str(self.otpctl_path), *map(str, arguments)], capture_output=True, text=True)

    def _prepare(self, kind: str, code_in_password: bool) -> User:
        if kind in (NOT_ENROLLED, NOT_ENROLLED_NULLOK):
            name, secret, scratch_codes = self.users.create("otpdecoy").pw_name, None, []
        else:
            account = self._enrol(kind)
            name, secret, scratch_codes = account.name, account.secret, account.scratch_codes
        code = totp(secret, self.now) if self.right_code and secret else self.code
        stem = f"pw-{secrets.token_hex(6)}x"
        password = stem + code if code_in_password else stem
        # A typo at the start: the same length, and the same code at the end.
        user = User(kind, name, password, "X" + password[1:], code, None)
        self.users.set_password(name, password, cheap_hash=True)
        self._check_passwords(user)
        self._bring_into_state(user, secret, scratch_codes)
        user.pristine = user.state().content
        return user

    def _enrol(self, kind: str):
        arguments = []
        if kind in DELIVERY_KINDS:
            arguments = ["--deliver", f"email:otp{uuid.uuid4().hex[:10]}@example.com"]
            if kind == DELIVERY_ONLY:
                arguments.append("--no-app")  # a file of scratch codes and the address
        # otpctl enroll's defaults: RATE_LIMIT 3 30, DISALLOW_REUSE, a window of 3.
        account = enrolled(self.users, self._otpctl, *arguments, prefix="otpdecoy")
        # About once in 300 users the shared code is some step's code near
        # NOW: that user gets a new secret.
        while not self.right_code and not is_wrong_at(self.code, account.secret, self.now):
            result = self._otpctl("enroll", account.name, "--force", "--qr", "none", "--json", *arguments)
            assert result.returncode == 0, result.stderr
            account.scratch_codes = json.loads(result.stdout)["scratch_codes"]
        return account

    def _check_passwords(self, user: User):
        """pam_unix takes the right password and refuses the wrong one, so
        the two runs of a pair really take the two paths."""
        right = self.host.run("password-only", user.name, self.now, [user.password])
        wrong = self.host.run("password-only", user.name, self.now, [user.wrong_password])
        assert (right.result, wrong.result) == (PAM_SUCCESS, PAM_AUTH_ERR), f"password check:\n{right}\n{wrong}"

    def _bring_into_state(self, user: User, secret: str | None, scratch_codes: list):
        """Over the rate limit: three scratch codes in the last 30 s (so no
        wrong code is on record). In a back-off: four wrong codes, the last
        45 s ago, after the back-off of the first three (30 s) had passed;
        the next attempt must wait 60 s from it, 15 s from now, and no
        attempt falls within the rate limit's 30 s."""
        if user.kind == RATE_LIMITED:
            for ago, code in zip((20, 15, 10), scratch_codes[:3], strict=True):
                run = self.host.run("code-only", user.name, self.now - ago, [code])
                assert run.result == PAM_SUCCESS, f"scratch code {ago} s ago:\n{run}"
        elif user.kind == BACKING_OFF:
            for ago in (100, 90, 80, 45):
                wrong = self.code
                while not is_wrong_at(wrong, secret, self.now - ago):
                    wrong = f"{(int(wrong) + 123457) % 1_000_000:06d}"
                run = self.host.run("code-only", user.name, self.now - ago, [wrong])
                assert run.result == PAM_AUTH_ERR and run.prompts, f"wrong code {ago} s ago:\n{run}"


class Case:
    """The auth lines of Debian's /etc/pam.d/sshd or sudo with the README's
    recipe (pam.d/password-then-code) in it (the module field pointed at the
    build under test) with one first-pass mode's options on both pam_otp
    lines, deliver= (the recorder) where `deliver`, nullok for the nullok
    kind, in a private service directory; and one prepared user."""

    def __init__(self, host_binary: Path, module: Path, recorder: Recorder, directory: Path, stack: str, mode: str,
                 user: User, now: int, deliver: bool):
        self.stack, self.mode, self.user, self.now = stack, mode, user, now
        options = list(MODES[mode])
        if deliver:
            options.append(f"deliver={recorder.program}")
        if user.kind == NOT_ENROLLED_NULLOK:
            options.append("nullok")
        self.host = TranscriptHost(host_binary, private_service_dir(directory, {
            stack: with_options_on_every(auth_lines(debian_stack(stack, "password-then-code", module)), module,
                                         *options),
        }))

    def answers(self, password: str, scenario: str) -> list:
        """The password, then the code (with forward_pass, password and code
        in one answer), or Enter twice. A prompt after that finds the user
        gone: the host hangs up."""
        if scenario == ENTER_ENTER:
            return [password, "", ""]
        code = self.user.code
        return [password, password + code if self.mode == "forward_pass" else code]

    def run(self, password: str, scenario: str, think_ms: int = 0) -> Transcript:
        return self.host.run(self.stack, self.user.name, self.now, self.answers(password, scenario),
                             ITEMS[self.stack], think_ms=think_ms)
