"""Test users with a password and an enrolment, made through conftest's
`users` factory (which removes them) and the otpctl under test."""

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from .codes import secret_of


@dataclass
class Account:
    name: str
    password: str
    home: Path
    uid: int
    gid: int
    secret_file: Path
    scratch_codes: list

    @property
    def secret(self) -> str:
        return secret_of(self.secret_file)


def enrolled(users, otpctl, *enrol_arguments, prefix="otp") -> Account:
    """A user with a random password, enrolled by `otpctl enroll USER`
    (default location /var/lib/pam_otp/USER unless --secret-file is given)."""
    entry = users.create(prefix)
    password = "pw-" + secrets.token_hex(8)
    users.set_password(entry.pw_name, password)
    result = otpctl("enroll", entry.pw_name, "--qr", "none", "--json", *enrol_arguments)
    assert result.returncode == 0, result.stderr
    enrolment = json.loads(result.stdout)
    return Account(entry.pw_name, password, Path(entry.pw_dir), entry.pw_uid, entry.pw_gid,
                   Path(enrolment["secret_file"]), enrolment["scratch_codes"])
