"""Everything a user sees of one authentication, through the real libpam:
each prompt with its echo style, each error and info message, in order,
whether a failure delay was asked for, and the PAM result
(transcript_host.c).

The host is compiled once per session. It reads its stacks from a private
directory (pam_start_confdir), so /etc/pam.d is never read, and it freezes
the wall clock the modules see at a given second, so two runs from the same
files decide alike, messages with a number of seconds in them included.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("transcript_host.c")

PAM_RESULTS = {
    0: "PAM_SUCCESS", 3: "PAM_SERVICE_ERR", 6: "PAM_PERM_DENIED", 7: "PAM_AUTH_ERR",
    9: "PAM_AUTHINFO_UNAVAIL", 10: "PAM_USER_UNKNOWN", 19: "PAM_CONV_ERR", 25: "PAM_IGNORE",
    26: "PAM_ABORT", 31: "PAM_INCOMPLETE",
}
PAM_SUCCESS = 0
PAM_AUTH_ERR = 7

# What the host prints for each kind of message.
PROMPT_HIDDEN = "prompt_echo_off"
PROMPT_SHOWN = "prompt_echo_on"
ERROR = "error"
INFO = "info"
# A prompt came and the user had nothing more to type: the connection closed.
HANGUP = "hangup"
# A module asked libpam to delay the failure (the host records it instead of sleeping).
FAIL_DELAY = "fail_delay"


def build_host(directory: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    assert compiler, "no C compiler (cc, gcc or clang) to build transcript_host.c"
    binary = directory / "transcript_host"
    # -rdynamic: the modules bind to the host's frozen clock.
    subprocess.run([compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-rdynamic", "-o", str(binary), str(SOURCE),
                    "-lpam"], check=True)
    return binary


def result_name(code: int) -> str:
    return PAM_RESULTS.get(code, f"PAM result {code}")


@dataclass(frozen=True)
class Transcript:
    events: tuple  # ((kind, text), ...) in the order the user saw them
    result: int

    @property
    def prompts(self) -> list:
        return [text for kind, text in self.events if kind in (PROMPT_HIDDEN, PROMPT_SHOWN)]

    def __str__(self):
        lines = [f"  {kind:<15} {text!r}" if text else f"  {kind}" for kind, text in self.events]
        return "\n".join(lines + [f"  -> {result_name(self.result)}"])


def parse(output: str) -> Transcript:
    events, result = [], None
    for line in output.splitlines():
        kind, _, value = line.partition(" ")
        if kind == "result":
            result = int(value)
        elif kind in (HANGUP, FAIL_DELAY):
            events.append((kind, ""))
        else:
            events.append((kind, bytes.fromhex(value).decode("utf-8", "replace")))
    assert result is not None, f"transcript_host printed no result:\n{output}"
    return Transcript(tuple(events), result)


@dataclass
class TranscriptHost:
    binary: Path
    confdir: Path

    def run(self, service: str, user: str, now: int, answers, items=(), think_ms: int = 0) -> Transcript:
        """Authenticates USER through SERVICE at the frozen time NOW,
        typing ANSWERS (one per prompt; "" is a pressed Enter), each after
        THINK_MS milliseconds."""
        environment = dict(os.environ, TRANSCRIPT_HOST_THINK_MS=str(think_ms)) if think_ms else None
        completed = subprocess.run(
            [str(self.binary), str(self.confdir), service, user, str(now), *items],
            input="".join(f"{answer}\n" for answer in answers), capture_output=True, text=True, timeout=60,
            env=environment,
        )
        assert completed.returncode == 0, f"transcript_host failed: {completed}"
        return parse(completed.stdout)
