"""Delivered codes, read the way a user reads them (the mail, the SMS), and
the record the module keeps of the last one: `" DELIVERY_CODE EXPIRES
SENT SALT HASH`, where HASH is HMAC-SHA256 keyed with SALT over the code.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

# deliver-email puts the code alone on an indented line.
MAIL_CODE = re.compile(r"^\s+(\d{6,8})\s*$", re.MULTILINE)


def code_in_mail(message) -> str:
    body = message.get_payload(decode=True).decode()
    codes = MAIL_CODE.findall(body)
    assert len(codes) == 1, f"expected one code in the mail:\n{body}"
    return codes[0]


def code_in_sms(text: str) -> str:
    # deliver-sms: "Your verification code for SERVICE is CODE".
    match = re.fullmatch(r"Your verification code for \S+ is (\d{6,8})", text)
    assert match, f"no code in the SMS text: {text!r}"
    return match.group(1)


def appears(needle: str, haystack: str) -> bool:
    """NEEDLE as a whole token: a 6-digit code inside a timestamp or a hex
    string is not the code."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])", haystack) is not None


@dataclass
class SentCodeRecord:
    expires: int
    sent: int
    salt: bytes
    hash: bytes

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(hmac.new(self.salt, code.encode(), hashlib.sha256).digest(), self.hash)


def sent_code_record(secret_file: Path) -> SentCodeRecord | None:
    lines = [line for line in secret_file.read_text().splitlines() if line.startswith('" DELIVERY_CODE ')]
    if not lines:
        return None
    assert len(lines) == 1, lines
    expires, sent, salt, digest = lines[0].split()[2:]
    return SentCodeRecord(int(expires), int(sent), bytes.fromhex(salt), bytes.fromhex(digest))
