"""scripts/install on this machine, undone with `scripts/install
--uninstall`, which must remove exactly what the install added: afterwards
every path it listed is as it was before (a file that was there before and
got replaced is put back from a copy)."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .pamstack import ROOT, SECURITY_DIR

INSTALLED_MODULE = SECURITY_DIR / "pam_otp.so"
INSTALLED_OTPCTL = Path("/usr/bin/otpctl")
STATE_DIR = Path("/var/lib/pam_otp")
MANIFEST = Path("usr/share/pam-otp/install-manifest")
SCRIPT = ROOT / "scripts" / "install"


def run_install(*arguments, destdir=None, timeout: float = 1800) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "DESTDIR"}
    if destdir is not None:
        environment["DESTDIR"] = str(destdir)
    return subprocess.run([str(SCRIPT), *arguments], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def manifest_entries(root: Path) -> list:
    """(kind, path) pairs of ROOT's install manifest: "f" files, "d" the
    directories the install created."""
    return [tuple(line.split(" ", 1)) for line in (root / MANIFEST).read_text().splitlines()]


def planned_paths(timeout: float) -> list:
    """What an install would add, from an install into a scratch DESTDIR."""
    with tempfile.TemporaryDirectory(prefix="pam-otp-install-plan-") as scratch:
        result = run_install(destdir=scratch, timeout=timeout)
        assert result.returncode == 0, f"scripts/install failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return [Path(path) for _, path in manifest_entries(Path(scratch))]


@contextlib.contextmanager
def installed(timeout: float = 1800):
    """Runs scripts/install (it builds the release configuration first,
    which is quick when scripts/test has just built it)."""
    if subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "pam-otp"],
                      capture_output=True, text=True).stdout == "installed":
        pytest.skip("the pam-otp package is installed and owns these paths (scripts/install refuses)")
    if (Path("/") / MANIFEST).exists():
        pytest.skip("a from-source install is already here; the test would remove it")
    planned = planned_paths(timeout) + [STATE_DIR]
    existed = {path for path in planned if path.exists()}
    backup = Path(tempfile.mkdtemp(prefix="pam-otp-install-backup-"))
    saved = {}
    for index, path in enumerate(sorted(existed)):
        if path.is_file():
            saved[path] = backup / str(index)
            shutil.copy2(path, saved[path], follow_symlinks=False)
    try:
        result = run_install(timeout=timeout)
        assert result.returncode == 0, f"scripts/install failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        yield result
    finally:
        removal = run_install("--uninstall", timeout=timeout)
        for path, copy in saved.items():
            shutil.copy2(copy, path, follow_symlinks=False)
        shutil.rmtree(backup, ignore_errors=True)
        left = [str(path) for path in planned if path.exists() and path not in existed]
        assert removal.returncode == 0, f"--uninstall failed:\n{removal.stdout[-3000:]}\n{removal.stderr[-3000:]}"
        assert not left, f"scripts/install --uninstall left {left}"
