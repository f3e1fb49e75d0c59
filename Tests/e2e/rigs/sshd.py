"""A private sshd on 127.0.0.1 and an ssh client driven through pexpect.

OpenSSH uses its program name as the PAM service, so the server runs
through a symlink `DIR/NAME -> /usr/sbin/sshd` and reads /etc/pam.d/NAME:
the host's /etc/pam.d/sshd and its sshd_config are never read or touched.
"""

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pexpect

from .net import free_port, wait_for_listener
from .pamstack import system_service, unique_service

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")


class SshServer:
    """One sshd listening on a free loopback port with its own host key,
    config, pid file and PAM service. Stop it with `stop()` (by its PID)."""

    def __init__(self, directory: Path, pam_stack: str, authentication_methods: str = "",
                 base_config: str | None = None):
        self.directory = directory
        self.service = unique_service("sshd-otp-e2e")
        self.port = free_port()
        self.program = directory / self.service
        self.config = directory / "sshd_config"
        self.log = directory / "sshd.log"
        self.pid_file = directory / "sshd.pid"
        self.host_key = directory / "host_ed25519"
        self.pam_stack = pam_stack
        self.authentication_methods = authentication_methods
        # Given: an administrator's configuration (e.g. Debian's own with a
        # drop-in); the rig puts only its port, address, host key and pid
        # file in front of it (sshd takes the first value it reads).
        self.base_config = base_config
        self.process = None
        self._cleanup = contextlib.ExitStack()

    def start(self):
        # sshd's privilege separation needs this directory; it is the
        # package's own, shared with any other sshd, so it stays afterwards.
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)], check=True
        )
        self.program.symlink_to(SSHD)
        self.config.write_text(self._config_text())
        self._cleanup.enter_context(system_service(self.service, self.pam_stack))
        try:
            subprocess.run([str(self.program), "-t", "-f", str(self.config)], check=True)
            # -D: sshd stays our child, so it is stopped by the PID started here.
            self.process = subprocess.Popen(
                [str(self.program), "-D", "-f", str(self.config), "-E", str(self.log)]
            )
            self._cleanup.callback(self._terminate)
            wait_for_listener(self.port, alive=lambda: self.process.poll() is None)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stops the server and removes its PAM service file."""
        self._cleanup.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exception):
        self.stop()

    def _terminate(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _config_text(self) -> str:
        if self.base_config is not None:
            return "\n".join([
                f"Port {self.port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {self.host_key}",
                f"PidFile {self.pid_file}",
                "",
                self.base_config,
            ])
        publickey = "publickey" in self.authentication_methods
        return "\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.pid_file}",
            "UsePAM yes",
            "KbdInteractiveAuthentication yes",
            "PasswordAuthentication no",
            f"PubkeyAuthentication {'yes' if publickey else 'no'}",
            "AuthorizedKeysFile .ssh/authorized_keys",
            f"AuthenticationMethods {self.authentication_methods}",
            "PermitRootLogin no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel VERBOSE",
            "",
        ])


@dataclass
class SshAttempt:
    """What the client saw: the prompts in order, the transcript after the
    last answer, and the exit status of ssh."""

    prompts: list = field(default_factory=list)
    output: str = ""
    exitstatus: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.exitstatus == 0


PROMPTS = {"Password: ": "password", "Verification code: ": "code"}


class SshSession:
    """`ssh USER@127.0.0.1 COMMAND` on a terminal, one prompt at a time
    (so a test can hold two logins at the code prompt and answer both at
    once). Without a command: an interactive login shell on a remote
    terminal (`-tt`), where sshd shows PAM's messages after the login.
    `locale`: the client's LC_ALL (ssh prints non-ASCII text only in a
    UTF-8 locale)."""

    # The prompts it recognises; an instance may add others (as ssh shows them).
    prompts = PROMPTS

    def __init__(self, port: int, user: str, command: str | None, known_hosts: Path,
                 identity: Path | None = None, timeout: float = 20, locale: str = "C"):
        options = [
            "-F", "/dev/null",
            "-p", str(port),
            "-o", "StrictHostKeyChecking=no",
            "-o", f"UserKnownHostsFile={known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            # One keyboard-interactive round: a failure is final, not retried.
            "-o", "NumberOfPasswordPrompts=1",
            # The client's default: OpenSSH shows the module's messages (the
            # reason for a refusal, the warning after a success) at INFO
            # and above only, as the instruction or banner of the exchange.
            "-o", "LogLevel=INFO",
        ]
        if identity is None:
            options += ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=keyboard-interactive"]
        else:
            options += ["-i", str(identity), "-o", "IdentitiesOnly=yes",
                        "-o", "PreferredAuthentications=publickey,keyboard-interactive"]
        self.attempt = SshAttempt()
        remote = ["-tt", f"{user}@127.0.0.1"] if command is None else [f"{user}@127.0.0.1", command]
        self.child = pexpect.spawn("ssh", [*options, *remote], encoding="utf-8", timeout=timeout,
                                   env={**os.environ, "LC_ALL": locale})

    def next_prompt(self):
        """The kind of the next prompt ("password", "code"), or None once
        ssh has exited."""
        patterns = list(self.prompts) + [pexpect.EOF]
        index = self.child.expect_exact(patterns)
        if index == len(self.prompts):
            self.attempt.output = self.child.before
            return None
        kind = self.prompts[patterns[index]]
        self.attempt.prompts.append(kind)
        return kind

    def answer(self, text: str):
        self.child.sendline(text)

    def finish(self, answers: dict | None = None) -> SshAttempt:
        """Answers every further prompt from `answers` (an empty line where
        there is none) until ssh exits."""
        try:
            while (kind := self.next_prompt()) is not None:
                self.answer((answers or {}).get(kind, ""))
        finally:
            self.close()
        return self.attempt

    def close(self):
        self.child.close(force=True)
        self.attempt.exitstatus = self.child.exitstatus


def ssh(port: int, user: str, command: str, answers: dict, known_hosts: Path, identity: Path | None = None,
        timeout: float = 20) -> SshAttempt:
    """Runs `ssh USER@127.0.0.1 COMMAND` and answers each keyboard-interactive
    prompt from `answers` ({"password": ..., "code": ...}); a prompt without
    an answer gets an empty line."""
    return SshSession(port, user, command, known_hosts, identity, timeout).finish(answers)
