"""TOTP codes (RFC 6238, SHA-1, 6 digits, 30 s) from Python's standard
library, independent of the three modules being measured."""

import hashlib
import hmac
import struct

STEP_SECONDS = 30


def code(secret: bytes, step: int) -> str:
    digest = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def harness_input(secret: bytes, first_step: int, count: int) -> str:
    """What pam_host reads on standard input: the first step, then the code
    of that step and of each one after it."""
    return "\n".join([str(first_step)] + [code(secret, first_step + k) for k in range(count)]) + "\n"
