"""scripts/install from a user's point of view, into a scratch DESTDIR:

- `sudo scripts/install` works although sudo's secure_path leaves the
  Swift toolchain off PATH (the script finds it);
- it installs the package's files (the same layout as scripts/package);
- `scripts/install --uninstall` removes exactly what it added: the
  DESTDIR is empty again.

test_pamtester.py installs into / and checks the uninstall there.
"""

import subprocess
from pathlib import Path

from rigs.install import MANIFEST, SCRIPT, manifest_entries
from rigs.pamstack import ROOT, SECURITY_DIR

EXPECTED = [
    SECURITY_DIR / "pam_otp.so", Path("/usr/bin/otpctl"), Path("/usr/libexec/pam_otp/deliver-email"),
    Path("/usr/share/man/man8/pam_otp.8.gz"), Path("/usr/share/man/man1/otpctl.1.gz"),
    Path("/usr/share/bash-completion/completions/otpctl"),
]


def sudo_install(destdir: Path, *arguments) -> subprocess.CompletedProcess:
    # As a user types it: sudo applies secure_path, which has no Swift in it.
    return subprocess.run(["sudo", f"DESTDIR={destdir}", str(SCRIPT), *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)


def test_sudo_install_finds_swift_off_path_and_uninstall_leaves_nothing_behind(tmp_path):
    under_sudo = subprocess.run(["sudo", "sh", "-c", "command -v swift || true"], capture_output=True, text=True)
    assert under_sudo.stdout.strip() == "", "swift is on sudo's PATH here, so this would prove nothing"
    destdir = tmp_path / "stage"
    installed = sudo_install(destdir)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    files = [Path(path) for kind, path in manifest_entries(destdir) if kind == "f"]
    for path in EXPECTED:
        assert path in files and (destdir / path.relative_to("/")).is_file(), path
    assert (destdir / MANIFEST).is_file()
    removed = sudo_install(destdir, "--uninstall")
    assert removed.returncode == 0, removed.stdout[-3000:] + removed.stderr[-3000:]
    assert list(destdir.iterdir()) == [], sorted(str(p) for p in destdir.rglob("*"))
