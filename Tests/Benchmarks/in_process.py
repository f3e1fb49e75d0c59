"""The in-process measurements: pam_host (pam_host.c) in a fresh process
per sample, through the real libpam, with a private stack directory
(pam_start_confdir) that holds one service per module and configuration."""

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import totp
from fixtures import CONFIGS, Peer, Secret, write_private


@dataclass(frozen=True)
class Host:
    name: str
    environment: tuple  # extra environment variables, as (name, value) pairs


def hosts(openssl_ready: Path) -> list:
    return [
        # sshd has libcrypto loaded and initialised before PAM starts.
        Host("sshd-like", (("LD_PRELOAD", str(openssl_ready)),)),
        # sudo does not link libcrypto.
        Host("bare", ()),
    ]


@dataclass
class InProcess:
    pam_host: Path
    work_dir: Path
    user: str
    secret: Secret
    first_step: int
    state_changes: dict = field(default_factory=dict)  # (peer, config) -> [changed at each cold login]

    def __post_init__(self):
        self.stack_dir = self.work_dir / "pam.d"
        self.state_dir = self.work_dir / "state"
        self.next_step = {}

    def prepare(self, peers: list):
        """Fresh state files and one service per module and configuration."""
        for directory in (self.stack_dir, self.state_dir):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(directory, 0o700)
        # No `other` fallback to Debian's password-only stack for a typo.
        (self.stack_dir / "other").write_text("auth required pam_deny.so\n")
        for peer in peers:
            for config in CONFIGS:
                state_file = self.state_file(peer, config)
                if not peer.reference:
                    write_private(state_file, peer.state_text(self.secret, self.user, config))
                (self.stack_dir / self.service(peer, config)).write_text(peer.stack_line(state_file))
                self.next_step[peer.slug, config] = self.first_step

    def state_file(self, peer: Peer, config: int) -> Path:
        return self.state_dir / f"{peer.slug}-config{config}"

    @staticmethod
    def service(peer: Peer, config: int) -> str:
        return f"bench-{peer.slug}-config{config}"

    def _run(self, host: Host, peer: Peer, config: int, mode: str, *extra, steps: int = 1) -> str:
        """Runs pam_host with codes for the next `steps` steps of this
        module's file (each file's clock only moves forward)."""
        first = self.next_step[peer.slug, config]
        self.next_step[peer.slug, config] = first + steps
        command = [str(self.pam_host), mode, str(self.stack_dir), self.service(peer, config), self.user, *extra]
        return self._exec(command, host, f"{peer.name} {mode} ({host.name} host, config {config})",
                          totp.harness_input(self.secret.key, first, steps))

    def _exec(self, command: list, host: Host, what: str, stdin: str = "") -> str:
        environment = {**os.environ, **dict(host.environment)}
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=environment, timeout=120)
        if result.returncode != 0:
            raise SystemExit(f"bench: {what} FAILED (exit {result.returncode}): {result.stderr.strip()}\n"
                             "A benchmark of failed authentications is worthless; stopping.")
        return result.stdout

    def cold(self, host: Host, config: int, peer: Peer) -> dict:
        if peer.reference:
            return _fields(self._run(host, peer, config, "cold"))
        state_file = self.state_file(peer, config)
        before = _identity(state_file)
        fields = _fields(self._run(host, peer, config, "cold"))
        self.state_changes.setdefault((peer.slug, config), []).append(_identity(state_file) != before)
        return fields

    def warm(self, host: Host, config: int, peer: Peer, count: int) -> list:
        output = self._run(host, peer, config, "warm", str(count), steps=count)
        return [int(line.split("=")[1]) for line in output.split()]

    def memory(self, host: Host, config: int, peer: Peer) -> dict:
        return _fields(self._run(host, peer, config, "memory"))

    def dlopen(self, host: Host, peer: Peer) -> int:
        return _fields(self._exec([str(self.pam_host), "dlopen", str(peer.module)], host,
                                  f"dlopen {peer.name} ({host.name} host)"))["dlopen_ns"]


def _fields(output: str) -> dict:
    return {key: int(value) for key, value in (item.split("=") for item in output.split())}


def _identity(path: Path):
    """Changes when the file is rewritten (atomic replace: a new inode)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, status.st_size
