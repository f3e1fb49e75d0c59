"""Helpers for the otpctl tests: the documented exit codes, an independent
reader of the secret-file format, and independent code generators."""

import base64
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIRECTORY = Path("/var/lib/pam_otp")

# The exit codes `otpctl --help` documents (sysexits.h numbers).
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 64
EXIT_DATA = 65
EXIT_NOT_ENROLLED = 66
EXIT_UNKNOWN_USER = 67
EXIT_EXISTS = 73
EXIT_IO = 74
EXIT_PERMISSION = 77

SCRATCH_CODE = re.compile(r"^[1-9][0-9]{7}$")  # GA's range: 8 digits, no leading zero
BASE32_STRICT = re.compile(r"^[A-Z2-7]+$")  # upper case, no padding: how files are written


@dataclass
class SecretFileText:
    """A secret file read by these tests' own parser of GA's format (the
    README's "The secret file"), not by OTPCore, so the two can disagree."""

    raw: bytes
    secret: str
    options: list[tuple[str, list[str]]]
    scratch_codes: list[str]

    @classmethod
    def parse(cls, raw: bytes) -> "SecretFileText":
        lines = raw.decode("ascii").split("\n")
        assert lines[-1] == "", "the file must end with a newline"
        lines = lines[:-1]
        options, codes = [], []
        for line in lines[1:]:
            if line.startswith('" '):
                key, *values = line[2:].split(" ")
                options.append((key, values))
            else:
                codes.append(line)
        return cls(raw=raw, secret=lines[0], options=options, scratch_codes=codes)

    @classmethod
    def read(cls, path) -> "SecretFileText":
        return cls.parse(Path(path).read_bytes())

    @property
    def option_lines(self) -> list[str]:
        return [" ".join(['"', key, *values]) for key, values in self.options]

    def option(self, key):
        """The values of an option line, or None when the line is absent."""
        for name, values in self.options:
            if name == key:
                return values
        return None

    @property
    def secret_bytes(self) -> bytes:
        return base32_decode(self.secret)


def base32_decode(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def group_key(secret: str) -> str:
    """The key as `enroll` shows it for typing: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def oathtool_totp(secret: str, at: int, algorithm="SHA1", digits=6, step=30) -> str:
    """The TOTP code of OATH Toolkit's oathtool (RFC 6238)."""
    return subprocess.run(
        ["oathtool", f"--totp={algorithm.lower()}", f"--digits={digits}", f"--time-step-size={step}",
         "-N", f"@{at}", "-b", secret],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def oathtool_hotp(secret: str, counter: int, digits=6) -> str:
    """The HOTP code of oathtool (RFC 4226; HMAC-SHA1)."""
    return subprocess.run(
        ["oathtool", "--hotp", "-c", str(counter), f"--digits={digits}", "-b", secret],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def assert_fails(result, code: int, *fragments: str):
    """A failure: the documented exit code, nothing on stdout, and on stderr
    one clear first line (plus optional advice) that holds `fragments`;
    never a Swift crash report."""
    report = f"exit {result.returncode} (expected {code})\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == code, report
    assert result.stdout == "", report
    lines = result.stderr.rstrip("\n").split("\n")
    assert lines and lines[0].startswith(("otpctl: ", "Error: ", "refused: ")), report
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} missing\n{report}"
    for crash in ("Fatal error", "Stack dump", "Illegal instruction", "Current stack trace"):
        assert crash not in result.stderr, report


# What a default enrolment writes after the secret: GA's own default lines.
DEFAULT_OPTION_LINES = ['" RATE_LIMIT 3 30', '" WINDOW_SIZE 3', '" DISALLOW_REUSE', '" TOTP_AUTH']


class Enrolled:
    """A user enrolled by root at the default location."""

    def __init__(self, account, result):
        self.account = account
        self.result = result

    @property
    def name(self):
        return self.account.pw_name

    @property
    def path(self):
        return DEFAULT_DIRECTORY / self.name

    @property
    def file(self):
        return SecretFileText.read(self.path)


def home_file(account, name=".google_authenticator"):
    return Path(account.pw_dir) / name


def now_step(step=30):
    return int(time.time()) // step


def wrong_totp_code(otp):
    """A code that no step near now produces."""
    near = {otp.at(time.time() + offset) for offset in range(-300, 301, otp.interval)}
    return next(f"{n:0{otp.digits}d}" for n in range(10**otp.digits) if f"{n:0{otp.digits}d}" not in near)


def assert_no_secret(text, file):
    for secret in (file.secret, file.secret.lower(), group_key(file.secret), file.secret_bytes.hex()):
        assert secret not in text
    for code in file.scratch_codes:
        assert code not in text
