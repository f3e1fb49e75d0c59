"""Measures pam_otp.so, pam_google_authenticator.so (GA) and pam_oath.so side
by side through the real libpam on this machine (issue 5) and writes a
markdown table with ratios to GA. Run through scripts/bench, which installs
the packages and builds pam_otp and the C pieces first.
"""

import argparse
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import measurements
import notes
import totp
from decoy_timing import DecoyTiming
from fixtures import Secret, create_user, floor, peers, set_password
from in_process import InProcess, hosts
from janitor import Janitor
from report import document
from syslog_socket import SyslogSocket


@dataclass(frozen=True)
class Plan:
    dlopen_rounds: int
    cold_rounds: int
    memory_rounds: int
    warm_processes: int
    warm_auths: dict  # config -> authentications per warm process (the first is not counted)
    ssh_logins: int
    decoy_rounds: int  # refusals per stack, after a wrong and after the right password


FULL = Plan(dlopen_rounds=201, cold_rounds=301, memory_rounds=21, warm_processes=7,
            warm_auths={1: 601, 2: 81}, ssh_logins=20, decoy_rounds=101)
QUICK = Plan(dlopen_rounds=21, cold_rounds=21, memory_rounds=3, warm_processes=2,
             warm_auths={1: 101, 2: 21}, ssh_logins=5, decoy_rounds=15)

_started = time.monotonic()


def progress(message: str):
    print(f"==> [{time.monotonic() - _started:4.0f} s] {message}", file=sys.stderr, flush=True)


def run(arguments, plan: Plan, janitor: Janitor) -> str:
    build = arguments.build_dir
    modules = peers(arguments.module)
    # The reference joins the cold, dlopen and memory measurements.
    with_floor = modules + [floor(build / "pam_floor.so")]
    host_kinds = hosts(build / "openssl_ready.so")
    load_before = os.getloadavg()[0]

    work = build / "run"
    janitor.record("tree", work)  # holds the secret: removed afterwards
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    user = create_user(janitor)
    secret = Secret.random()
    # Ten days ahead of the real clock: a module that missed the fake clock
    # would compute other codes and fail loudly instead of passing by luck.
    first_step = int(time.time()) // totp.STEP_SECONDS + 28_800

    with SyslogSocket(build / "syslog_sink", janitor) as syslog:
        bench = InProcess(build / "pam_host", work, user, secret, first_step)
        bench.prepare(with_floor)

        progress(f"cold: {plan.cold_rounds} fresh processes per module, host and configuration")
        rows, phase_rows = measurements.cold_rows(bench, plan.cold_rounds, host_kinds, with_floor)
        syslog.check()
        progress(f"warm: {plan.warm_processes} processes per module and configuration "
                 f"({plan.warm_auths[1]} / {plan.warm_auths[2]} authentications)")
        rows += measurements.warm_rows(bench, plan.warm_processes, plan.warm_auths, host_kinds[0], with_floor)
        syslog.check()
        progress(f"dlopen: {plan.dlopen_rounds} fresh processes per module and host")
        rows += measurements.dlopen_rows(bench, plan.dlopen_rounds, host_kinds, with_floor)
        progress(f"memory: {plan.memory_rounds} fresh processes per module and host")
        rows += measurements.memory_rows(bench, plan.memory_rounds, host_kinds, with_floor)
        rows.append(measurements.size_row(modules))
        syslog.check()
        decoy_rows = []
        if plan.decoy_rounds > 0:
            progress(f"decoy: {plan.decoy_rounds} refusals per shipped stack after a wrong and a right password")
            timing = DecoyTiming(build / "pam_host", work, arguments.module, user, set_password(user),
                                 {host.name: host for host in host_kinds}, first_step)
            timing.prepare()
            decoy_rows = measurements.decoy_rows(timing, plan.decoy_rounds)
            syslog.check()
        if plan.ssh_logins > 0:
            progress(f"ssh: {plan.ssh_logins} logins per module and configuration through a loopback sshd")
            rows += measurements.ssh_rows(plan.ssh_logins, janitor, work, modules, user, secret)
            syslog.check()

    context = notes.context(arguments.command, arguments.quick, plan, arguments.module, syslog.description,
                            (load_before, os.getloadavg()[0]), time.monotonic() - _started, user)
    remarks = notes.METHOD + notes.state_changes(bench.state_changes, modules) + notes.SSH_AND_NOISE
    return document("pam_otp benchmark", context, rows, phase_rows, remarks, decoy_rows, notes.DECOY)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations: a smoke test")
    parser.add_argument("--ssh-logins", type=int, help="ssh logins per module and configuration (0: none)")
    parser.add_argument("--decoy-rounds", type=int,
                        help="refusals per shipped stack after a wrong and a right password (0: none)")
    parser.add_argument("--module", type=Path, required=True, help="the pam_otp .so to measure")
    parser.add_argument("--build-dir", type=Path, required=True, help="where scripts/bench built the C pieces")
    parser.add_argument("--output", type=Path, required=True, help="the markdown file to write")
    parser.add_argument("--command", default="scripts/bench", help="the command line, for the report")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: run as root (it adds a test user, PAM services and loopback sshd servers)")
    plan = QUICK if arguments.quick else FULL
    if arguments.ssh_logins is not None:
        plan = replace(plan, ssh_logins=arguments.ssh_logins)
    if arguments.decoy_rounds is not None:
        plan = replace(plan, decoy_rounds=arguments.decoy_rounds)

    def stop(signal_number, frame):
        raise SystemExit(f"bench: stopped by signal {signal_number}")

    for signal_number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, stop)
    janitor = Janitor(arguments.build_dir / "cleanup.manifest")
    try:
        text = run(arguments, plan, janitor)
    except KeyboardInterrupt:
        raise SystemExit("bench: interrupted")
    finally:
        janitor.close()
    arguments.output.write_text(text)
    print(text)
    print(f"(written to {arguments.output})", file=sys.stderr)


if __name__ == "__main__":
    main()
