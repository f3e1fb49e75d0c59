"""A syslog socket at /dev/log for the whole run (see syslog_sink.c for why
one must be there).

Normally the run sits in a private mount namespace whose /dev is an overlay
(private_dev.sh): there the benchmark always binds its own syslog_sink, and
no other process on the machine sees it or can remove it. Without one, it
uses the host's /dev/log if there is one, or binds syslog_sink at the real
/dev/log and removes it afterwards.
"""

import stat
import subprocess
from pathlib import Path

DEV_LOG = Path("/dev/log")


def private_dev() -> bool:
    """Whether /dev is the overlay that private_dev.sh mounts."""
    return any(fields[1] == "/dev" and fields[2] == "overlay"
               for fields in (line.split() for line in Path("/proc/self/mounts").read_text().splitlines()))


class SyslogSocket:
    def __init__(self, sink_program: Path, janitor):
        self.sink_program = sink_program
        self.janitor = janitor
        self.process = None
        self.description = ""

    def __enter__(self):
        private = private_dev()
        if DEV_LOG.exists() or DEV_LOG.is_symlink():
            if not private:
                if not stat.S_ISSOCK(DEV_LOG.stat().st_mode):
                    raise SystemExit(f"bench: {DEV_LOG} exists but is not a socket")
                self.description = f"the host's existing {DEV_LOG}"
                return self
            # Only this namespace's view: the host's socket stays where it is.
            DEV_LOG.unlink()
        if not private:
            self.janitor.record("path", DEV_LOG)
        self.process = subprocess.Popen([str(self.sink_program), str(DEV_LOG)], stdout=subprocess.PIPE, text=True)
        self.janitor.record("pid", self.process.pid, self.sink_program.name)
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit(f"bench: cannot bind a syslog sink at {DEV_LOG}")
        where = "in a private mount namespace" if private else "for this run"
        self.description = f"syslog_sink bound at {DEV_LOG} {where}"
        return self

    def check(self):
        """Aborts if the socket went away during the run (someone removed
        it): GA would then write to /dev/console and the numbers be wrong."""
        alive = self.process is None or self.process.poll() is None
        if not alive or not DEV_LOG.exists():
            raise SystemExit(f"bench: the syslog socket {DEV_LOG} disappeared during the run")

    def __exit__(self, *exception):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            remainder = self.process.communicate(timeout=10)[0]
            if "messages=" in remainder:
                self.description += f" ({remainder.strip().split('=')[1]} messages received)"
