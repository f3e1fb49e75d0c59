"""What the package tests ask of a .deb and of dpkg."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "pam-otp"


def multiarch() -> str:
    return subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True, text=True,
                          check=True).stdout.strip()


def deb_field(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def deb_paths(deb: Path) -> set:
    """Every path in the package's data, as installed ("/usr/bin/otpctl")."""
    listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    names = subprocess.run(["tar", "-tf", "-"], input=listing, capture_output=True, check=True).stdout.decode()
    return {"/" + name.lstrip("./").rstrip("/") for name in names.splitlines() if name.strip("./")}


def installed_version():
    """The version of the package dpkg has installed, or None."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", PACKAGE],
                            capture_output=True, text=True)
    status, _, installed = result.stdout.partition(" ")
    return installed if result.returncode == 0 and status == "installed" else None
