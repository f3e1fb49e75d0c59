"""Real slapd servers from Debian's package, on loopback, each in a
temporary directory with its own slapd.conf: nothing under /etc/ldap is
read or changed and no system service is started. TLS comes from a
throwaway CA made with openssl; the OATH-LDAP schema from `moduleload otp`.

The directory layout the fleet tests use (and the README describes):

    dc=fleet,dc=test
      ou=people    users (inetOrgPerson, uid=NAME)
      ou=tokens    token entries: device + oathTOTPToken/oathHOTPToken,
                   `owner: <the user's DN>` (a user may own several)
      ou=params    oathTOTPParams / oathHOTPParams entries
      cn=host      the hosts' bind (reads secrets, writes state)

Servers are stopped by the PID each was started with.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

SUFFIX = "dc=fleet,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "admin-secret"
HOST_DN = f"cn=host,{SUFFIX}"
HOST_PW = "host-secret"
PEOPLE = f"ou=people,{SUFFIX}"
TOKENS = f"ou=tokens,{SUFFIX}"
PARAMS = f"ou=params,{SUFFIX}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_ca(directory: Path) -> dict:
    """A throwaway CA and a server certificate for IP:127.0.0.1 (libldap
    checks the name: the servers must be reached as 127.0.0.1)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, request, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    extensions = directory / "server.ext"
    quiet = {"check": True, "capture_output": True}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", ca_key, "-out", ca_cert, "-subj", "/CN=pam_otp fleet test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **quiet)
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
                    "-subj", "/CN=127.0.0.1"], **quiet)
    extensions.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-out", cert, "-extfile", extensions], **quiet)
    # slapd drops no privileges here (started as root), but keep the key private.
    os.chmod(key, 0o600)
    return {"ca": ca_cert, "cert": cert, "key": key}


# The shipped access rules (hosts read secrets and write state; users read
# nothing of their tokens), for the test suffix, then the rest.
SHIPPED_ACL = Path(__file__).resolve().parents[3] / "scripts" / "fleet" / "acl.conf"
ACL = SHIPPED_ACL.read_text().replace("dc=example,dc=org", SUFFIX) + """
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="{HOST_DN}" read
  by users read
  by * none
""".replace("{HOST_DN}", HOST_DN)


class Slapd:
    """One slapd: `start()`, `stop()` (SIGTERM, by PID), `pause()` and
    `resume()` (SIGSTOP/SIGCONT: a hung server that still accepts TCP)."""

    def __init__(self, directory: Path, tls: dict, server_id: int | None = None):
        self.directory = directory
        self.tls = tls
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}/"
        # The same server over TLS from the first byte.
        self.ldaps_uri = f"ldaps://127.0.0.1:{free_port()}/"
        self.server_id = server_id
        self.process = None
        self.peers: list["Slapd"] = []

    def config(self) -> str:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        lines = [
            "include /etc/ldap/schema/core.schema",
            "include /etc/ldap/schema/cosine.schema",
            "include /etc/ldap/schema/inetorgperson.schema",
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
            # Registers the OATH-LDAP schema; the overlay itself is not used.
            "moduleload otp",
            "moduleload syncprov",
            f"pidfile {self.directory}/slapd.pid",
            f"TLSCACertificateFile {self.tls['ca']}",
            f"TLSCertificateFile {self.tls['cert']}",
            f"TLSCertificateKeyFile {self.tls['key']}",
        ]
        if self.server_id is not None:
            lines.append(f"serverID {self.server_id} {self.uri}")
            for peer in self.peers:
                lines.append(f"serverID {peer.server_id} {peer.uri}")
        lines += [
            "database mdb",
            f"suffix {SUFFIX}",
            f"rootdn {ROOT_DN}",
            f"rootpw {ROOT_PW}",
            f"directory {data}",
            "maxsize 104857600",
            "index objectClass eq",
            "index owner eq",
            "index uid eq",
            ACL,
        ]
        if self.server_id is not None:
            for peer in self.peers:
                lines.append(
                    f"syncrepl rid={peer.server_id:03d} provider={peer.uri} type=refreshAndPersist "
                    f"retry=\"1 +\" searchbase=\"{SUFFIX}\" bindmethod=simple binddn=\"{ROOT_DN}\" "
                    f"credentials={ROOT_PW} starttls=critical tls_cacert={self.tls['ca']} tls_reqcert=demand")
            lines += ["multiprovider on", "overlay syncprov", "syncprov-checkpoint 1 1"]
        return "\n".join(lines) + "\n"

    def start(self):
        path = self.directory / "slapd.conf"
        path.write_text(self.config())
        self.process = subprocess.Popen(
            ["/usr/sbin/slapd", "-f", str(path), "-h", f"{self.uri} {self.ldaps_uri}", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=open(self.directory / "slapd.log", "ab"))
        self.wait_ready()

    def wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(self.directory / 'slapd.log').read_text()[-2000:]}")
            if self.whoami().returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("slapd did not answer over StartTLS")

    def whoami(self):
        """Ready means: answers over StartTLS with the CA's certificate checked."""
        return subprocess.run(
            ["ldapwhoami", "-x", "-ZZ", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PW, "-o", "nettimeout=1"],
            capture_output=True, env=self.tls_environment(), timeout=10)

    def tls_environment(self) -> dict:
        # (LDAPNOINIT would also switch these variables off.)
        return {**os.environ, "LDAPTLS_CACERT": str(self.tls["ca"]), "LDAPTLS_REQCERT": "demand"}

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def pause(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    # The administrator's tools, over StartTLS.

    def ldap(self, tool: str, *arguments, input: str | None = None, check=True):
        command = [tool, "-x", "-ZZ", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PW, "-o", "nettimeout=5",
                   *arguments]
        result = subprocess.run(command, input=input, capture_output=True, text=True,
                                env=self.tls_environment(), timeout=30)
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr}")
        return result

    def ldap_as(self, dn: str, password: str, tool: str, *arguments):
        """A tool with another identity's simple bind, over StartTLS."""
        return subprocess.run([tool, "-x", "-ZZ", "-H", self.uri, "-D", dn, "-w", password, *arguments],
                              capture_output=True, text=True, env=self.tls_environment(), timeout=30)

    def add(self, ldif: str):
        return self.ldap("ldapadd", input=ldif)

    def modify(self, ldif: str, *extra, check=True):
        return self.ldap("ldapmodify", *extra, input=ldif, check=check)

    def attribute(self, dn: str, name: str) -> str | None:
        result = self.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, name)
        for line in result.stdout.splitlines():
            if line.lower().startswith(name.lower() + ":"):
                return line.split(":", 1)[1].strip()
        return None

    def context_csn(self) -> str:
        result = self.ldap("ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", SUFFIX, "contextCSN",
                           check=False)
        if result.returncode != 0:
            return ""  # the suffix has not arrived yet
        return " ".join(sorted(line for line in result.stdout.splitlines() if line.startswith("contextCSN")))


BASE_LDIF = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: fleet
o: fleet

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {TOKENS}
objectClass: organizationalUnit
ou: tokens

dn: {PARAMS}
objectClass: organizationalUnit
ou: params

dn: {HOST_DN}
objectClass: simpleSecurityObject
objectClass: organizationalRole
cn: host
userPassword: {HOST_PW}
"""


@contextlib.contextmanager
def servers(directory: Path, count: int = 1):
    """`count` = 1: one provider; 2: a mirror-mode pair (both providers,
    each replicating the other). Yields the list; stops them all."""
    tls = make_ca(directory / "tls")
    if count == 1:
        started = [Slapd(directory / "s1", tls)]
    else:
        started = [Slapd(directory / f"s{index}", tls, server_id=index) for index in range(1, count + 1)]
        for server in started:
            server.peers = [peer for peer in started if peer is not server]
    try:
        for server in started:
            server.start()
        started[0].add(BASE_LDIF)
        if count > 1:
            wait_in_sync(started)
        yield started
    finally:
        for server in started:
            server.stop()


def wait_in_sync(started, timeout=20.0):
    """Mirror pairs are in sync when every server reports the same contextCSN."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [server for server in started if server.process.poll() is None]
        values = {server.context_csn() for server in alive}
        if len(values) == 1 and next(iter(values)):
            return
        time.sleep(0.1)
    raise RuntimeError("mirror pair did not converge")
