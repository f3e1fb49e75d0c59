"""What the import tests share: a login through the release module inside
the real libpam on a private store, and a snapshot of a store to show that
a refused or dry run changed nothing."""

import stat
from pathlib import Path

CODE_PROMPT = "Verification code: "
FIXTURES = Path(__file__).parent / "fixtures"


def login(module_login, store, user, code, *options):
    """One login with `code` on `auth required pam_otp.so secret=STORE/${USER}
    OPTIONS`; True when it succeeded. A result without the code prompt
    proves nothing about the module, so that is a test failure."""
    result = module_login(user, code, f"secret={store}/${{USER}}", *options)
    assert result.count(CODE_PROMPT) == 1, result
    return result.authenticated


def snapshot(directory: Path) -> dict:
    """Every file of a directory with its bytes, inode, mode and times."""
    files = {}
    for path in sorted(directory.iterdir()):
        info = path.lstat()
        contents = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        files[path.name] = (contents, info.st_ino, info.st_mode, info.st_mtime_ns, info.st_uid)
    return files


def assert_root_only(path: Path):
    info = path.lstat()
    assert stat.S_ISREG(info.st_mode), path
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o600), (path, oct(info.st_mode))


def assert_clear_refusal(result, exit_code, *fragments):
    """Refused with the documented exit code and a message that says why,
    never a crash."""
    text = result.stdout + result.stderr
    assert result.returncode == exit_code, text
    assert "otpctl: " in result.stderr, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing in {text!r}"
    for crash in ("Fatal error", "Stack dump", "Illegal instruction", "Current stack trace"):
        assert crash not in text, text


def secret_forms(secret: bytes):
    """The ways a secret could leak into output: hex, Base32, Base64."""
    import base64

    return [secret.hex(), secret.hex().upper(), base64.b32encode(secret).decode().rstrip("="),
            base64.b64encode(secret).decode()]


def assert_never_shows(text: str, secret: bytes):
    for form in secret_forms(secret):
        assert form not in text, f"secret shown as {form!r}"

