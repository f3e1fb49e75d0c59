"""Helpers for the tests of enrolment at the first login
(test_first_login.py): a PAM application answered one prompt at a time,
and readers of what the module shows (URI, QR code) that share nothing
with the module.

`LiveLogin` runs rigs/transcript_host.c (the real libpam, a private
service directory, the wall clock frozen at NOW) with its standard input
and output on pipes: the test reads each message as it comes, so it can
answer a prompt with a code computed (by oathtool) from the secret the
module has just shown.
"""

import re
import struct
import subprocess
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from rigs.codes import oathtool_totp
from rigs.transcripts import FAIL_DELAY, HANGUP, PROMPT_HIDDEN, PROMPT_SHOWN, Transcript

URI = re.compile(r"otpauth://\S+")
# Character -> (upper half drawn, lower half drawn).
HALF_BLOCKS = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True), "\u2588": (True, True)}
ENROLMENT_HEADING = "This account has no verification codes yet"
ANOTHER_LOGIN = "Another login has just set up codes for this account"


class LiveLogin:
    """One authentication through transcript_host, answered as it goes."""

    def __init__(self, binary: Path, confdir: Path, service: str, user: str, now: int, items=()):
        self.process = subprocess.Popen(
            [str(binary), str(confdir), service, user, str(now), *items],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.events = []
        self.result = None

    def next_prompt(self):
        """Reads messages up to the next prompt (returns its text), or to
        the result (returns None)."""
        for line in self.process.stdout:
            kind, _, value = line.rstrip("\n").partition(" ")
            if kind == "result":
                self.result = int(value)
                return None
            text = "" if kind in (HANGUP, FAIL_DELAY) else bytes.fromhex(value).decode("utf-8", "replace")
            self.events.append((kind, text))
            if kind in (PROMPT_HIDDEN, PROMPT_SHOWN):
                return text
        return None

    def answer(self, text: str):
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def hang_up(self):
        """The user goes away: no more answers (the conversation fails)."""
        self.process.stdin.close()

    def finish(self) -> Transcript:
        """Runs to the end; a prompt that comes now finds the user gone."""
        if not self.process.stdin.closed:
            self.process.stdin.close()
        while self.next_prompt() is not None:
            pass
        self.process.wait(timeout=60)
        assert self.result is not None, f"transcript_host ended without a result: {self.events}"
        return Transcript(tuple(self.events), self.result)

    @property
    def messages(self) -> list:
        return [text for kind, text in self.events if kind in ("info", "error")]

    @property
    def uri(self) -> str:
        return uri_in("\n".join(self.messages))


def uri_in(text: str) -> str:
    found = URI.findall(text)
    assert len(found) == 1, f"expected one otpauth URI in:\n{text}"
    return found[0]


def secret_of_uri(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def code_for(uri: str, now: float) -> str:
    """The app's code at NOW for the secret in URI, from oathtool."""
    return oathtool_totp(secret_of_uri(uri), at=now)


def qr_lines(text: str) -> list:
    """The lines of the text QR code: nothing but half blocks and spaces,
    at least one block."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if line and set(line) <= set(HALF_BLOCKS) and set(line) - {" "}:
            lines.append(line)
        elif lines:
            break
    return lines


def terminal_pixels(lines: list, dark_background: bool, margin: int = 6) -> list:
    """What a camera sees of LINES on a terminal: each character two module
    rows high, a drawn half light on a dark background (or dark on a light
    one), and MARGIN modules of the terminal's background around it."""
    rows = []
    for line in lines:
        rows.append([HALF_BLOCKS[c][0] for c in line])
        rows.append([HALF_BLOCKS[c][1] for c in line])
    widths = {len(row) for row in rows}
    assert len(widths) == 1, f"ragged QR lines: widths {sorted(widths)}"
    width = widths.pop() + 2 * margin
    background = [not dark_background] * width
    # True: a light pixel.
    pixels = [list(background) for _ in range(margin)]
    for row in rows:
        pixels.append(background[:margin] + [drawn == dark_background for drawn in row] + background[:margin])
    pixels += [list(background) for _ in range(margin)]
    return pixels


def write_png(pixels: list, path: Path, scale: int = 4):
    """An 8-bit greyscale PNG (signature, IHDR, IDAT, IEND; filter 0)."""
    height, width = len(pixels), len(pixels[0])
    scanlines = []
    for row in pixels:
        line = b"\x00" + bytes(255 if light else 0 for light in row for _ in range(scale))
        scanlines += [line] * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width * scale, height * scale, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(scanlines)))
                     + chunk(b"IEND", b""))


def decode_qr(text: str, directory: Path, dark_background: bool = True) -> list:
    """zbarimg's reading of the text QR code in TEXT, as a terminal with
    that background shows it."""
    lines = qr_lines(text)
    assert lines, f"no text QR code in:\n{text}"
    path = directory / "first-login-qr.png"
    write_png(terminal_pixels(lines, dark_background), path)
    result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True)
    assert result.returncode == 0, f"zbarimg found no QR code: {result.stderr.decode(errors='replace')}"
    return result.stdout.decode("utf-8").splitlines()


def shape(transcript: Transcript) -> list:
    """The transcript with what depends on the random secret replaced:
    the QR code's lines, the key, the URI's secret, the scratch codes."""
    events = []
    for kind, text in transcript.events:
        if text and set(text) <= set(HALF_BLOCKS):
            text = f"<QR line of {len(text)}>"
        text = re.sub(r"secret=[A-Z2-7]+", lambda m: f"secret=<{len(m.group()) - 7}>", text)
        text = re.sub(r"(?<=by hand: )[A-Z2-7 ]+", lambda m: f"<key of {len(m.group())}>", text)
        text = re.sub(r"\b[1-9][0-9]{7}\b", "<scratch>", text)
        events.append((kind, text))
    return events + [("result", transcript.result)]
