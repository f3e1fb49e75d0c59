"""End to end: real `ssh` logins through a private sshd on 127.0.0.1, one
server per module, each with the same stack around its module.

OpenSSH uses its program name as the PAM service, so each server runs
through a symlink DIR/SERVICE -> /usr/sbin/sshd and reads
/etc/pam.d/SERVICE (written for the run, removed by the janitor); the
host's own sshd configuration is never read or touched.

The client answers the keyboard-interactive prompt through SSH_ASKPASS
(ssh_askpass.sh), so no terminal or expect loop sits in the timed path.
The modules see the real clock here: before each login the module's file is
written afresh (not timed), so a code of the current step is accepted again
and the rate limit starts empty, while every login still reads, judges and,
in configuration 2, rewrites and fsyncs the file.
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import totp
from fixtures import Peer, Secret, write_private

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
REMOTE_COMMAND = "echo bench-ok"


def stack(peer: Peer, state_file: Path) -> str:
    """Code only (no password stage): the module is the only PAM
    authentication work in the login, so the differences show."""
    return (
        f"# pam_otp benchmark ({peer.name}); removed after the run\n"
        + peer.stack_line(state_file)
        + "account required pam_unix.so\n"
        + "session required pam_permit.so\n"
        + "password required pam_deny.so\n"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SshServer:
    def __init__(self, directory: Path, peer: Peer, state_file: Path, janitor, run_id: str):
        self.directory = directory
        self.peer = peer
        self.state_file = state_file
        self.janitor = janitor
        self.service = f"sshd-otpbench-{peer.slug}-{run_id}"
        self.port = free_port()
        self.log = directory / "sshd.log"
        self.host_key = directory / "host_ed25519"
        self.process = None

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)  # the package's own; it stays
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)], check=True)
        program = self.directory / self.service
        program.symlink_to(SSHD)
        config = self.directory / "sshd_config"
        config.write_text(self._config())
        pam_file = Path("/etc/pam.d") / self.service
        self.janitor.record("path", pam_file)
        descriptor = os.open(pam_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "w") as file:
            file.write(stack(self.peer, self.state_file))
        subprocess.run([str(program), "-t", "-f", str(config)], check=True)
        # -D: sshd stays in the foreground, our child, stopped by its PID.
        self.process = subprocess.Popen([str(program), "-D", "-f", str(config), "-E", str(self.log)])
        self.janitor.record("pid", self.process.pid, self.service)
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: sshd for {self.peer.name} exited:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench: sshd for {self.peer.name} does not listen on {self.port}")
                time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def known_hosts_line(self) -> str:
        key = (self.directory / "host_ed25519.pub").read_text().split()
        return f"[127.0.0.1]:{self.port} {key[0]} {key[1]}\n"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-15:]) if self.log.exists() else ""

    def _config(self) -> str:
        return "\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.directory / 'sshd.pid'}",
            "UsePAM yes",
            "KbdInteractiveAuthentication yes",
            "PasswordAuthentication no",
            "PubkeyAuthentication no",
            "AuthenticationMethods keyboard-interactive",
            "PermitRootLogin no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxStartups 100",
            "LogLevel INFO",
            "",
        ])


class SshLogins:
    """Timed logins of USER, answering the current TOTP code."""

    def __init__(self, work_dir: Path, askpass: Path, user: str, secret: Secret):
        self.work_dir = work_dir
        self.askpass = askpass
        self.user = user
        self.secret = secret
        self.known_hosts = work_dir / "known_hosts"

    def trust(self, servers: list):
        self.known_hosts.write_text("".join(server.known_hosts_line() for server in servers))

    def login(self, server: SshServer, config: int) -> float:
        """Seconds from starting `ssh` to reading the remote command's output."""
        write_private(server.state_file, server.peer.state_text(self.secret, self.user, config))
        code = totp.code(self.secret.key, int(time.time()) // totp.STEP_SECONDS)
        command = [
            "ssh", "-F", "/dev/null", "-T", "-p", str(server.port),
            "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "PubkeyAuthentication=no",
            "-o", "PreferredAuthentications=keyboard-interactive", "-o", "NumberOfPasswordPrompts=1",
            "-o", "LogLevel=ERROR", f"{self.user}@127.0.0.1", REMOTE_COMMAND,
        ]
        environment = {**os.environ, "LC_ALL": "C", "SSH_ASKPASS": str(self.askpass),
                       "SSH_ASKPASS_REQUIRE": "force", "BENCH_OTP_CODE": code}
        environment.pop("DISPLAY", None)
        started = time.perf_counter()
        client = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=environment, text=True, start_new_session=True)
        first_line = client.stdout.readline()
        elapsed = time.perf_counter() - started
        try:
            _, errors = client.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            client.kill()
            _, errors = client.communicate()
        if first_line.strip() != "bench-ok" or client.returncode != 0:
            raise SystemExit(
                f"bench: ssh login through {server.peer.name} (config {config}) FAILED "
                f"(exit {client.returncode}): {errors.strip()}\nsshd log:\n{server.log_tail()}")
        return elapsed
