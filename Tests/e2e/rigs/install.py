"""scripts/install on this machine, undone afterwards: files it replaces
are put back, files and the directory it creates are removed."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .pamstack import ROOT, SECURITY_DIR

INSTALLED_MODULE = SECURITY_DIR / "pam_otp.so"
INSTALLED_OTPCTL = Path("/usr/bin/otpctl")
STATE_DIR = Path("/var/lib/pam_otp")


@contextlib.contextmanager
def installed(timeout: float = 1800):
    """Runs scripts/install (it builds the release configuration first,
    which is quick when scripts/test has just built it)."""
    backup = Path(tempfile.mkdtemp(prefix="pam-otp-install-backup-"))
    saved = {}
    for path in (INSTALLED_MODULE, INSTALLED_OTPCTL):
        if path.exists() or path.is_symlink():
            saved[path] = backup / path.name
            shutil.copy2(path, saved[path], follow_symlinks=False)
    state_dir_existed = STATE_DIR.exists()
    try:
        # DESTDIR would install elsewhere: this is the real installation.
        environment = {key: value for key, value in os.environ.items() if key != "DESTDIR"}
        result = subprocess.run(
            [str(ROOT / "scripts" / "install")], cwd=ROOT, env=environment,
            capture_output=True, text=True, timeout=timeout,
        )
        assert result.returncode == 0, f"scripts/install failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        yield result
    finally:
        for path in (INSTALLED_MODULE, INSTALLED_OTPCTL):
            if path in saved:
                shutil.copy2(saved[path], path, follow_symlinks=False)
            else:
                path.unlink(missing_ok=True)
        if not state_dir_existed:
            # Only if empty: another test's enrolment may live there now.
            with contextlib.suppress(OSError):
                STATE_DIR.rmdir()
        shutil.rmtree(backup, ignore_errors=True)
