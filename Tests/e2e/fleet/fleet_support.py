"""Enrolling users in the test directory, the module's ldap= file, and
many hosts logging in at once through pamtester under pam_wrapper (each
process a host with its own PAM stack that names the same directory)."""

import base64
import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import pyotp

from rigs import slapd
from rigs.pamstack import private_service_dir

PROMPT = b"Verification code: "
SHA1 = "1.2.840.113549.2.7"


def ensure_params(server):
    """A TOTP parameter entry (30 s, 6 digits, SHA1, one step either side)
    and an HOTP one (look-ahead 2), shared by the tokens."""
    existing = server.ldap("ldapsearch", "-LLL", "-b", slapd.PARAMS, "(cn=totp30)", "cn", check=False).stdout
    if "cn: totp30" in existing:
        return
    server.add(f"""dn: cn=totp30,{slapd.PARAMS}
objectClass: organizationalRole
objectClass: oathTOTPParams
cn: totp30
oathOTPLength: 6
oathHMACAlgorithm: {SHA1}
oathTOTPTimeStepPeriod: 30
oathTOTPTimeStepWindow: 1

dn: cn=hotp,{slapd.PARAMS}
objectClass: organizationalRole
objectClass: oathHOTPParams
cn: hotp
oathOTPLength: 6
oathHMACAlgorithm: {SHA1}
oathHOTPLookAhead: 2
""")


class Enrolled:
    def __init__(self, name, secret, kind):
        self.name = name
        self.secret = secret  # Base32, for pyotp
        self.kind = kind
        self.dn = f"uid={name},{slapd.PEOPLE}"
        self.token_dn = f"cn={name}-1,{slapd.TOKENS}"

    def totp(self, at=None):
        return pyotp.TOTP(self.secret).at(int(time.time() if at is None else at))

    def hotp(self, counter):
        return pyotp.HOTP(self.secret).at(counter)


def enrol(server, kind="totp", name=None, counter=0) -> Enrolled:
    """A user entry and one token below ou=tokens that names it as owner."""
    ensure_params(server)
    name = name or f"fl{uuid.uuid4().hex[:8]}"
    raw = secrets.token_bytes(20)
    user = Enrolled(name, base64.b32encode(raw).decode(), kind)
    token_class, params, state = (
        ("oathTOTPToken", f"oathTOTPParams: cn=totp30,{slapd.PARAMS}", "")
        if kind == "totp" else
        ("oathHOTPToken", f"oathHOTPParams: cn=hotp,{slapd.PARAMS}", f"oathHOTPCounter: {counter}\n"))
    server.add(f"""dn: {user.dn}
objectClass: inetOrgPerson
uid: {name}
cn: {name}
sn: {name}

dn: {user.token_dn}
objectClass: device
objectClass: {token_class}
cn: {name}-1
owner: {user.dn}
oathSecret:: {base64.b64encode(raw).decode()}
{params}
oathFailureCount: 0
{state}""")
    return user


def write_config(path: Path, servers, ca, extra="") -> Path:
    uris = " ".join(server if isinstance(server, str) else server.uri for server in servers)
    path.write_text(f"""# pam_otp fleet store (test)
uri {uris}
base {slapd.SUFFIX}
tokenbase {slapd.TOKENS}
binddn {slapd.HOST_DN}
bindpw {slapd.HOST_PW}
ssl start_tls
tls_reqcert demand
tls_cacertfile {ca}
timelimit 2
bind_timelimit 2
{extra}""")
    os.chown(path, 0, 0)
    os.chmod(path, 0o600)
    return path


def service(directory: Path, module, config: Path, options="") -> Path:
    return private_service_dir(directory, {"otp-fleet": f"auth required {module} ldap={config} {options}\n"})


def pam_environment(service_dir):
    return {**os.environ, "LD_PRELOAD": "libpam_wrapper.so", "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": str(service_dir)}


class Host:
    """One pamtester process, standing for one host, stopped at the prompt."""

    def __init__(self, service_dir, user):
        self.process = subprocess.Popen(
            ["pamtester", "-v", "otp-fleet", user, "authenticate"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pam_environment(service_dir))
        self.seen = b""

    def wait_for_prompt(self, timeout=20.0) -> bool:
        deadline = time.monotonic() + timeout
        descriptor = self.process.stderr.fileno()
        os.set_blocking(descriptor, False)
        while PROMPT not in self.seen and time.monotonic() < deadline:
            try:
                chunk = os.read(descriptor, 4096)
            except BlockingIOError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.005)
                continue
            if not chunk:
                break
            self.seen += chunk
        os.set_blocking(descriptor, True)
        return PROMPT in self.seen

    def answer(self, code: str):
        self.process.stdin.write(f"{code}\n".encode())
        self.process.stdin.flush()

    def result(self):
        out, err = self.process.communicate(timeout=60)
        text = (self.seen + err + out).decode(errors="replace")
        return self.process.returncode == 0 and "successfully authenticated" in text, text


def race(service_dir, user: str, code: str, hosts: int = 16):
    """HOSTS hosts at the prompt at once, then the same code typed on every
    one; returns (successes, outputs)."""
    # Started one after another (pam_wrapper's per-process directories
    # collide when created at the same instant); the race is the answer.
    started = []
    for _ in range(hosts):
        host = Host(service_dir, user)
        assert host.wait_for_prompt(), host.seen
        started.append(host)
    for host in started:
        host.answer(code)
    results = [host.result() for host in started]
    return sum(1 for ok, _ in results if ok), [text for _, text in results]


def login(service_dir, user: str, code: str):
    host = Host(service_dir, user)
    asked = host.wait_for_prompt()
    if asked:
        host.answer(code)
    ok, text = host.result()
    return ok, asked, text


def reset_failures(server, user: Enrolled):
    """The 15 losers of a race count as replayed codes, that is as wrong
    codes (as in the file store): the administrator's reset lets the next
    round start from no back-off."""
    server.modify(f"dn: {user.token_dn}\nchangetype: modify\nreplace: oathFailureCount\noathFailureCount: 0\n")


def person(server, name):
    """A user entry with no token yet."""
    server.add(f"dn: uid={name},{slapd.PEOPLE}\nobjectClass: inetOrgPerson\nuid: {name}\ncn: {name}\nsn: {name}\n")
