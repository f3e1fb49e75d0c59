"""A minimal Debian 12 root with no toolchain in it: the server a fresh
administrator installs the package on.

debootstrap (--variant=minbase, plus pamtester to drive PAM) builds it once
into a cache outside the repository, which later runs reuse. Each run
works on an overlay of the cache, so the cache stays as debootstrap left
it and a run starts in seconds; the overlay is unmounted and removed
afterwards, also on failure.

The host's /proc is bound into the root (and unbound afterwards): Swift's
runtime reads a program's arguments from /proc/self/cmdline, so without it
`otpctl --version` sees no arguments at all. A real server always has
/proc; apt, dpkg and pamtester would not need it.
"""

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

CACHE = Path(os.environ.get("PAM_OTP_DEBIAN_ROOT_CACHE", "/var/cache/pam-otp-test/debian-12-minbase"))
SUITE = "bookworm"
INCLUDE = ["pamtester"]
# The marker debootstrap's root gets once it is complete; a root without
# it (an interrupted build) is built again.
COMPLETE = ".pam-otp-complete"
ENVIRONMENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root",
}


def debian_mirror() -> str:
    """The Debian archive the host's apt uses (so the root reaches the same
    mirror); Debian's default otherwise."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for stanza in sources.read_text().split("\n\n"):
            uris = re.search(r"(?m)^URIs:\s*(\S+)", stanza)
            if uris and re.search(rf"(?m)^Suites:.*\b{SUITE}\b", stanza) and "security" not in uris.group(1):
                return uris.group(1)
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        match = re.search(rf"(?m)^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+{SUITE}\s", listing.read_text())
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


def ensure_cache(log=print) -> Path:
    """The cached root, built by debootstrap if it is not there yet."""
    if (CACHE / COMPLETE).exists():
        return CACHE
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time
        if (CACHE / COMPLETE).exists():
            return CACHE
        building = CACHE.parent / f"building-{uuid.uuid4().hex[:8]}"
        try:
            log(f"debootstrap {SUITE} (minbase) into {CACHE}: a few minutes, once")
            subprocess.run(
                ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(building),
                 debian_mirror()],
                check=True, capture_output=True, text=True,
            )
            (building / COMPLETE).write_text(f"debootstrap --variant=minbase --include={','.join(INCLUDE)} {SUITE}\n")
            shutil.rmtree(CACHE, ignore_errors=True)
            building.rename(CACHE)
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"debootstrap failed:\n{error.stdout[-3000:]}\n{error.stderr[-3000:]}") from error
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return CACHE


class DebianRoot:
    """An overlay of the cached root at `path`; commands run in it with chroot."""

    def __init__(self, path: Path):
        self.path = path

    def run(self, *command, input=None, check=False, timeout=600) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["chroot", str(self.path), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in ENVIRONMENT.items()),
             *map(str, command)],
            input=input, capture_output=True, text=True, check=check, timeout=timeout,
        )

    def file(self, path: str) -> Path:
        """PATH inside the root, as a host path."""
        return self.path / path.lstrip("/")


@contextlib.contextmanager
def fresh_debian_root():
    """A throwaway Debian 12 root on top of the cache."""
    cache = ensure_cache()
    work = Path(tempfile.mkdtemp(prefix="pam-otp-debian-root-"))
    merged, upper, scratch = work / "root", work / "upper", work / "work"
    for directory in (merged, upper, scratch):
        directory.mkdir()
    proc_bound = False
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={cache},upperdir={upper},workdir={scratch}",
         str(merged)], capture_output=True, text=True,
    ).returncode == 0
    try:
        if not mounted:
            # No overlayfs here: a full copy, slower but as good.
            merged.rmdir()
            subprocess.run(["cp", "-a", "--reflink=auto", str(cache), str(merged)], check=True)
        # Name resolution as the host has it now, not as when the cache was made.
        shutil.copyfile("/etc/resolv.conf", merged / "etc/resolv.conf")
        subprocess.run(["mount", "--bind", "/proc", str(merged / "proc")], check=True)
        proc_bound = True
        yield DebianRoot(merged)
    finally:
        # Never remove the tree while the host's /proc may still be in it.
        released = not proc_bound or _unmount(merged / "proc")
        if mounted:
            released = _unmount(merged) and released
        if released:
            shutil.rmtree(work, ignore_errors=True)


def _unmount(path: Path) -> bool:
    """Unmounts PATH, lazily if something still holds it."""
    for command in (["umount", str(path)], ["umount", "--lazy", str(path)]):
        if subprocess.run(command, capture_output=True).returncode == 0:
            return True
    return False
