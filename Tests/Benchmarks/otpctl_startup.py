"""otpctl as shipped: its size, the libraries it loads, and how long
`otpctl --version` takes from exec to exit (the start-up every command
pays), against /bin/true as the floor of starting any process here.

    otpctl_startup.py OTPCTL [--quick]

Prints a markdown section for scripts/bench's results.
"""

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path


def wall_times(command, runs):
    """Seconds from spawn to reap, one run after another (one warm-up first)."""
    times = []
    with open(os.devnull, "wb") as null:
        for index in range(runs + 1):
            start = time.perf_counter()
            pid = os.posix_spawn(command[0], command, os.environ, file_actions=[
                (os.POSIX_SPAWN_DUP2, null.fileno(), 1), (os.POSIX_SPAWN_DUP2, null.fileno(), 2)])
            _, status = os.waitpid(pid, 0)
            elapsed = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"{command} failed")
            if index:
                times.append(elapsed)
    return times


def milliseconds(times):
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"{statistics.median(times) * 1e3:.2f} ms ({q1 * 1e3:.2f}–{q3 * 1e3:.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("otpctl", type=Path)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    runs = 20 if arguments.quick else 200
    otpctl = str(arguments.otpctl.resolve())
    libraries = [line.split()[0] for line in subprocess.run(["ldd", otpctl], capture_output=True, text=True,
                                                             check=True).stdout.splitlines()]
    # Interleaved in blocks, so a busy moment on the machine hits both alike.
    tool, floor = [], []
    for _ in range(10):
        tool += wall_times([otpctl, "--version"], runs // 10)
        floor += wall_times(["/bin/true"], runs // 10)
    print("\n## otpctl\n")
    print(f"`{otpctl}` (median of {len(tool)} runs, p25–p75 in brackets)\n")
    print("| metric | otpctl | floor: /bin/true |")
    print("|---|--:|--:|")
    print(f"| file size | {os.path.getsize(otpctl) / 2**20:.1f} MiB | — |")
    print(f"| start-up: `otpctl --version`, exec to exit | {milliseconds(tool)} | {milliseconds(floor)} |")
    print(f"| libraries loaded (ldd) | {len(libraries)}: {', '.join(libraries)} | — |")


if __name__ == "__main__":
    main()
