"""Undoes what the benchmark set up on this machine, also when it fails.

Each thing is written to a manifest *before* it is created, so a run that is
killed half-way still leaves a complete list; `scripts/bench` runs
`python3 janitor.py MANIFEST` from its exit trap, which undoes whatever a
dying run left (normally nothing: the run cleans up itself).

Manifest lines, undone last first:
  user NAME          userdel --remove NAME
  path PATH          unlink PATH (a file, or the /dev/log socket)
  tree PATH          remove the directory tree PATH
  pid PID MARKER     SIGTERM (then SIGKILL) PID, if its command line still
                     contains MARKER (a PID that was reused is left alone)
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


class Janitor:
    def __init__(self, manifest: Path):
        self.manifest = manifest
        manifest.parent.mkdir(parents=True, exist_ok=True)
        if manifest.exists():
            # A previous run died before its own clean-up.
            clean_up(manifest)
        manifest.write_text("")

    def record(self, kind: str, *values):
        with self.manifest.open("a") as file:
            file.write(" ".join([kind, *map(str, values)]) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def close(self):
        clean_up(self.manifest)


def clean_up(manifest: Path):
    if not manifest.exists():
        return
    for line in reversed(manifest.read_text().splitlines()):
        kind, _, rest = line.partition(" ")
        try:
            UNDO[kind](rest)
        except Exception as error:  # keep undoing the rest
            print(f"janitor: cannot undo '{line}': {error}", file=sys.stderr)
    manifest.unlink()


def _remove_user(name: str):
    if subprocess.run(["id", name], capture_output=True).returncode == 0:
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=True)


def _remove_path(path: str):
    Path(path).unlink(missing_ok=True)


def _remove_tree(path: str):
    shutil.rmtree(path, ignore_errors=True)


def _stop_process(rest: str):
    pid_text, _, marker = rest.partition(" ")
    pid = int(pid_text)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _is_running(pid, marker):
            return
        os.kill(pid, sig)
        for _ in range(50):
            if not _is_running(pid, marker):
                return
            time.sleep(0.1)


def _is_running(pid: int, marker: str) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return marker in command and state != "Z"


UNDO = {"user": _remove_user, "path": _remove_path, "tree": _remove_tree, "pid": _stop_process}

if __name__ == "__main__":
    clean_up(Path(sys.argv[1]))
