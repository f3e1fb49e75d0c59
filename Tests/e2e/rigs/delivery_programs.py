"""deliver= programs where the module accepts them, and the settings files
the shipped ones read.

The module runs a deliver= program only if it is root's, mode 0755 or
stricter, in directories only root can write: not under /tmp. So the
programs go into a fresh root-owned 0755 directory under /usr/local/lib,
removed afterwards. /etc/pam_otp (the settings of scripts/deliver-email
and scripts/deliver-sms) is saved first and put back as it was.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .pamstack import ROOT

SCRIPTS = ROOT / "scripts"
ETC_PAM_OTP = Path("/etc/pam_otp")


class ProgramDirectory:
    def __init__(self, parent: Path = Path("/usr/local/lib")):
        self.path = Path(tempfile.mkdtemp(prefix="pam-otp-e2e-", dir=parent))
        os.chown(self.path, 0, 0)
        os.chmod(self.path, 0o755)

    def install(self, name: str, text: str | None = None, source: Path | None = None, mode: int = 0o755) -> Path:
        """A root-owned program NAME (or, with another MODE, a plain file)
        with TEXT, or a copy of SOURCE."""
        program = self.path / name
        if source is not None:
            shutil.copyfile(source, program)
        else:
            program.write_text(text)
        os.chown(program, 0, 0)
        os.chmod(program, mode)
        return program

    def shipped(self, name: str) -> Path:
        """A copy of scripts/NAME, as an administrator installs it."""
        return self.install(name, source=SCRIPTS / name)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.remove()


@contextlib.contextmanager
def preserved_etc_pam_otp():
    """/etc/pam_otp may be changed freely within; afterwards it is exactly
    as before (restored from a copy, or removed if it did not exist)."""
    backup = Path(tempfile.mkdtemp(prefix="pam-otp-etc-backup-")) / "pam_otp"
    existed = ETC_PAM_OTP.exists()
    if existed:
        shutil.copytree(ETC_PAM_OTP, backup, symlinks=True)
    try:
        yield ETC_PAM_OTP
    finally:
        shutil.rmtree(ETC_PAM_OTP, ignore_errors=True)
        if existed:
            shutil.copytree(backup, ETC_PAM_OTP, symlinks=True)
            _copy_ownership(backup, ETC_PAM_OTP)
        shutil.rmtree(backup.parent, ignore_errors=True)


def _copy_ownership(source: Path, target: Path):
    """copytree keeps modes and times; owners too, for files that are root's
    only because their owner says so."""
    for directory, _, names in os.walk(source):
        for name in [None, *names]:
            origin = Path(directory) / name if name else Path(directory)
            info = origin.lstat()
            os.lchown(target / origin.relative_to(source), info.st_uid, info.st_gid)


def write_setting_file(name: str, text: str, mode: int) -> Path:
    """/etc/pam_otp/NAME, root's, with MODE (the scripts check both)."""
    ETC_PAM_OTP.mkdir(mode=0o755, exist_ok=True)
    path = ETC_PAM_OTP / name
    path.write_text(text)
    os.chown(path, 0, 0)
    os.chmod(path, mode)
    return path
