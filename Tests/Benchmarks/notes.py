"""What the report says around the table: the machine and the run, and how
each number was taken."""

import os
import platform
import subprocess
import time
from pathlib import Path

from fixtures import CONFIGS

METHOD = [
    "Ratios are to GA (below 1 is faster or smaller than GA). Medians; the spread is at the end.",
    "¹ floor: a reference, not a peer (Tests/Benchmarks/pam_floor.c): a C module linked with libcrypto "
    "that prompts once and computes one HMAC-SHA1 over libcrypto's low-level SHA-1 (no EVP, so no OpenSSL "
    "provider initialisation), reading no file. In the bare host it is the least that depending on "
    "libcrypto costs: mapping and relocating it.",
    "cold: a fresh process (pam_host) from just before pam_start to just after pam_end, timed inside it "
    "(CLOCK_MONOTONIC). sshd-like host: libcrypto loaded and initialised before PAM starts "
    "(openssl_ready.so preloaded: config loaded, RNG seeded, one HMAC-SHA256). "
    "bare host: no libcrypto, like sudo.",
    "warm: pam_authenticate timed in one process after its first authentication (the module stays loaded).",
    "dlopen: dlopen(MODULE, RTLD_NOW) as libpam does it, in a fresh process that has libpam. "
    "memory: /proc/self/smaps_rollup before pam_start and after the first pam_authenticate. "
    ".so size: pam_otp stripped as scripts/install installs it (unless PAM_OTP_BENCH_MODULE named a file).",
    f"config 1: {CONFIGS[1]}. config 2: {CONFIGS[2]}.",
    "Same user, same 160-bit secret: pam_otp and GA read identical GA-format files (GA with user=root), "
    "pam_oath a usersfile line `HOTP/T30 USER - HEX` (window=1); each module has its own copy. "
    "The modules see a fake clock (time() and clock_gettime(CLOCK_REALTIME) defined in pam_host, "
    "linked -rdynamic) that advances one 30 s step per authentication; each answer is that step's code "
    "and every authentication returned PAM_SUCCESS (anything else aborts the run).",
    "pam_oath always rewrites (and fsyncs) its usersfile, in both configurations: it has no rate limit "
    "and always refuses a replayed code.",
]

SSH_AND_NOISE = [
    "ssh: wall time from starting `ssh` to reading the remote command's output, through a loopback sshd "
    "(one per module, stack: the module alone for auth, pam_unix account), answering the code through "
    "SSH_ASKPASS; real clock, state file written afresh before each login (not timed).",
    "Other work on the machine (see the load average above) slows all modules alike, since their runs are "
    "interleaved: compare ratios within one run, not absolute numbers across runs or machines.",
]


DECOY = [
    "What an attacker who guesses passwords can time: the refusal of a wrong code after a wrong password "
    "(pam_unix fails, the `decoy` line answers) against the refusal after the right password (the real line "
    "answers). The medians must differ by less than 25% (max / min < 1.25, issue 9); the first row is the "
    "figure that bar is about.",
    "Each sample is a fresh pam_host process (`pam_host refusal`) through the auth lines of the sshd "
    "(sshd-like host) or sudo (bare host) stack with the recipe pam.d/password-then-code, pam_otp.so "
    "replaced by the module under test "
    "with `secret=` naming the benchmark's file on both pam_otp lines; pam_unix checks a real password "
    "(the system's hash), `nodelay` as shipped. The file is what `otpctl enroll` writes (RATE_LIMIT 3 30, "
    "DISALLOW_REUSE, window 3, five scratch codes), written afresh before every run (not timed), and every "
    "run answers the same wrong code at the same fake second, so no rate limit or back-off builds up. The "
    "four cells are interleaved round robin after a discarded warm-up round.",
    "code answered → PAM result: from the conversation function returning the code to pam_authenticate "
    "returning PAM_AUTH_ERR (what the client waits for after sending the code). password answered → code "
    "prompt: pam_unix's check plus the pam_otp line up to its prompt. whole pam_authenticate: both, with "
    "the prompts. pam_unix's password hash (tens of milliseconds, the same work for a right and a wrong "
    "password) dominates the last two rows and its noise can hide a difference there; a client sees each "
    "answer's wait on its own, which is why the bar is about the first row.",
]


def state_changes(changes: dict, modules: list) -> list:
    """Whether each module rewrote its file, as seen in the cold runs."""
    notes = []
    for config in CONFIGS:
        observed = []
        for module in modules:
            flags = changes.get((module.slug, config), [])
            if flags and all(flags):
                verdict = "every login"
            elif not any(flags):
                verdict = "never"
            else:
                verdict = f"{sum(flags)} of {len(flags)} logins"
            observed.append(f"{module.name}: {verdict}")
        notes.append(f"Secret file rewritten (observed in the cold runs), config {config}: {', '.join(observed)}.")
    return notes


def context(command: str, quick: bool, plan, module: Path, syslog: str, load: tuple, elapsed: float,
            user: str) -> list:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    packages = ["libpam0g", "libpam-google-authenticator", "libpam-oath", "libssl3", "openssh-server"]
    versions = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}, ", *packages],
                              capture_output=True, text=True).stdout.strip(", ")
    repo = Path(__file__).resolve().parents[2]
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True).stdout.strip()
    return [
        f"Command: `{command}` ({'quick' if quick else 'full'} run, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"took {elapsed:.0f} s)",
        "",
        f"- Machine: nproc {len(os.sched_getaffinity(0))}, {cpu}, Linux {platform.release()}; "
        f"load average {load[0]:.2f} before, {load[1]:.2f} after",
        f"- pam_otp: {module} (commit {commit}{', with uncommitted changes in Sources/' if dirty else ''}); "
        f"peers and system: {versions}",
        f"- Samples per module: cold {plan.cold_rounds} processes per host and config; warm "
        f"{plan.warm_processes} processes × {plan.warm_auths[1] - 1} (config 1) / {plan.warm_auths[2] - 1} "
        f"(config 2) authentications; dlopen {plan.dlopen_rounds}; memory {plan.memory_rounds}; "
        f"ssh {plan.ssh_logins} logins per config; decoy {plan.decoy_rounds} refusals per stack and password",
        f"- Syslog: {syslog}; test user {user} (removed afterwards)",
    ]
