"""The fleet store's cost (issue 12), through pam_host and the real libpam:

- what a login with `ldap=` (one slapd on loopback, StartTLS, the shipped
  ACLs) adds over the same login against a local secret file;
- the cold load (pam_start + one authentication + pam_end, a fresh
  process each) and memory with and without `ldap=`, and without it against
  the module of the previous release, if given: a host without `ldap=`
  must load no LDAP library and pay nothing.

    python3 Tests/Benchmarks/fleet.py --module M --pam-host P [--previous M0] [--rounds N]

Run as root (a throwaway user and a slapd in a temporary directory, both
removed on exit). Prints a markdown table.
"""

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "e2e"))
sys.path.insert(0, str(HERE))

from rigs import slapd  # noqa: E402
import totp  # noqa: E402
from fixtures import Secret, ga_file, write_private  # noqa: E402


def pam_host(binary, mode, confdir, service, user, first_step, count=1, extra=()):
    text = totp.harness_input(SECRET.key, first_step, count)
    result = subprocess.run([str(binary), mode, str(confdir), service, user, *map(str, extra)], input=text,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"pam_host {mode} {service}: {result.stderr.strip()}")
    values = {}
    for line in result.stdout.split():
        key, _, value = line.partition("=")
        values.setdefault(key, []).append(int(value))
    return values


SECRET = Secret.random()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", required=True)
    parser.add_argument("--pam-host", required=True)
    parser.add_argument("--previous", help="the previous release's module, for the load cost without ldap=")
    parser.add_argument("--rounds", type=int, default=30)
    arguments = parser.parse_args()

    user = f"otpfleet{os.getpid()}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    work = Path(tempfile.mkdtemp(prefix="pam_otp-fleet-bench-"))
    try:
        with slapd.servers(work / "slapd", count=1) as (server,):
            enrol(server, user)
            config = work / "ldap.conf"
            config.write_text(f"uri {server.uri}\nbase {slapd.SUFFIX}\ntokenbase {slapd.TOKENS}\n"
                              f"binddn {slapd.HOST_DN}\nbindpw {slapd.HOST_PW}\nssl start_tls\n"
                              f"tls_cacertfile {server.tls['ca']}\ntimelimit 3\nbind_timelimit 3\n")
            os.chmod(config, 0o600)
            state = work / "state"
            state.mkdir(mode=0o700)
            confdir = work / "pam.d"
            confdir.mkdir()
            services = {
                "local": f"auth required {arguments.module} secret={state}/local\n",
                "ldap": f"auth required {arguments.module} ldap={config}\n",
            }
            if arguments.previous:
                services["previous"] = f"auth required {arguments.previous} secret={state}/previous\n"
            for name, line in services.items():
                (confdir / f"fleet-{name}").write_text(line)
            print(report(arguments, confdir, state, user, list(services)))
    finally:
        subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["rm", "-rf", str(work)])


def enrol(server, user):
    server.add(f"""dn: cn=totp30,{slapd.PARAMS}
objectClass: organizationalRole
objectClass: oathTOTPParams
cn: totp30
oathOTPLength: 6
oathHMACAlgorithm: 1.2.840.113549.2.7
oathTOTPTimeStepPeriod: 30
oathTOTPTimeStepWindow: 1

dn: uid={user},{slapd.PEOPLE}
objectClass: inetOrgPerson
uid: {user}
cn: {user}
sn: {user}

dn: cn={user}-1,{slapd.TOKENS}
objectClass: device
objectClass: oathTOTPToken
cn: {user}-1
owner: uid={user},{slapd.PEOPLE}
oathSecret:: {base64.b64encode(SECRET.key).decode()}
oathTOTPParams: cn=totp30,{slapd.PARAMS}
oathFailureCount: 0
""")


def report(arguments, confdir, state, user, services):
    step = int(time.time()) // 30
    samples = {name: {"cold": [], "warm": [], "rss": [], "dirty": []} for name in services}
    # The local files: rate limit and reuse protection, so both stores
    # write state at every login.
    for name in services:
        if name != "ldap":
            write_private(state / name, ga_file(SECRET, 2))
    # Interleaved, so drift in the machine's load hits every cell alike;
    # each authentication at a later step than any before (both stores
    # refuse a step twice).
    for _ in range(arguments.rounds):
        for name in services:
            step += 1
            values = pam_host(arguments.pam_host, "cold", confdir, f"fleet-{name}", user, step)
            samples[name]["cold"].append(values["total_ns"][0])
            step += 1
            values = pam_host(arguments.pam_host, "memory", confdir, f"fleet-{name}", user, step)
            samples[name]["rss"].append(values["rss_kib"][0])
            samples[name]["dirty"].append(values["private_dirty_kib"][0])
    for name in services:
        warm = 4 * arguments.rounds
        values = pam_host(arguments.pam_host, "warm", confdir, f"fleet-{name}", user, step + 1, warm, [warm])
        step += warm + 1
        samples[name]["warm"] = values["auth_ns"]

    def median(name, key, scale=1):
        return statistics.median(samples[name][key]) / scale

    lines = [
        "| fleet store (issue 12) | " + " | ".join(services) + " | ldap / local |",
        "|---|" + "---|" * (len(services) + 1),
    ]
    for key, label, scale, unit in (
        ("cold", "cold: pam_start + authenticate + pam_end (median)", 1e6, "ms"),
        ("warm", "warm authentication (median)", 1e6, "ms"),
        ("rss", "Rss added (median)", 1, "KiB"),
        ("dirty", "Private_Dirty added (median)", 1, "KiB"),
    ):
        cells = [f"{median(name, key, scale):.2f} {unit}" if unit == "ms" else f"{median(name, key):.0f} {unit}"
                 for name in services]
        local = median("local", key, scale)
        ratio = median("ldap", key, scale) / local if local else float("nan")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f}× |")
    added = median("ldap", "warm", 1e6) - median("local", "warm", 1e6)
    lines.append("")
    lines.append(f"An LDAP login adds {added:.2f} ms over a local one (warm, loopback, StartTLS, "
                 f"one connection kept from before the prompt to after the answer); {arguments.rounds} rounds.")
    if "previous" in services:
        ratio = median("local", "cold", 1e6) / median("previous", "cold", 1e6)
        lines.append(f"Without ldap=, cold load against the previous module: {ratio:.2f}×; "
                     f"Rss {median('local', 'rss'):.0f} vs {median('previous', 'rss'):.0f} KiB.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
