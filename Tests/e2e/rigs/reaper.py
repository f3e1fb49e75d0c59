"""Runs a command as a child subreaper and reports the processes it left.

    python3 reaper.py REPORT COMMAND...

A process the command started and never waited for (a zombie), or one
that outlived it (a grandchild its parent was killed away from), is
re-parented to this process when its parent exits, instead of to init,
where it would vanish from view. After COMMAND exits, REPORT gets a JSON
list of those processes ({pid, state, cmdline}); they are then killed and
reaped, and this process exits with COMMAND's status.

It is a program, not a module: a test runs it around the PAM application,
so the test process itself never becomes a subreaper.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def children() -> list:
    """This process's children, from /proc (stat's 4th field is the parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        state, parent = stat[stat.rindex(")") + 2:].split()[:2]
        if int(parent) == os.getpid():
            arguments = [part.decode(errors="replace") for part in cmdline.split(b"\0") if part]
            found.append({"pid": int(entry.name), "state": state, "cmdline": arguments})
    return found


def main() -> int:
    report, command = Path(sys.argv[1]), sys.argv[2:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    child = subprocess.Popen(command)
    # Waits for this pid only: adopted processes stay unreaped until listed.
    status = child.wait()
    left = children()
    report.write_text(json.dumps(left))
    for process in left:
        try:
            os.kill(process["pid"], signal.SIGKILL)
            os.waitpid(process["pid"], 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
