"""One-time codes from an independent implementation (pyotp, oathtool),
never from pam_otp's own code, so a shared bug cannot hide itself."""

import subprocess
import time
from pathlib import Path

import pyotp


def secret_of(path) -> str:
    """The Base32 secret: the first line of a GA-format secret file."""
    return Path(path).read_text().splitlines()[0].strip()


def totp(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(int(time.time() if at is None else at))


def hotp(secret: str, counter: int) -> str:
    return pyotp.HOTP(secret).at(counter)


def oathtool_totp(secret: str, at: float | None = None) -> str:
    moment = int(time.time() if at is None else at)
    return _oathtool("--totp", "-N", f"@{moment}", "-b", secret)


def oathtool_hotp(secret: str, counter: int) -> str:
    return _oathtool("--hotp", "-c", str(counter), "-b", secret)


def _oathtool(*arguments) -> str:
    return subprocess.run(["oathtool", *arguments], capture_output=True, text=True, check=True).stdout.strip()


def wrong_totp(secret: str, spread: int = 10) -> str:
    """A well-formed code that no step near now produces (the module's
    window is a few steps; this avoids a whole ±spread steps)."""
    now = time.time()
    near = {totp(secret, now + 30 * offset) for offset in range(-spread, spread + 1)}
    candidate = int(totp(secret, now))
    while f"{candidate:06d}" in near:
        candidate = (candidate + 123457) % 1_000_000
    return f"{candidate:06d}"
