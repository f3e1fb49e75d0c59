"""One account that NSS knows under several spellings, as SSSD with
`case_sensitive = false` or a directory with `NAME@DOMAIN` logins does,
loaded into an unmodified pamtester.

nss_fold.c is a tiny NSS passwd module: getpwnam_r answers for the
account's name in any case and for NAME@DOMAIN, and always returns the
account's own name in pw_name; getpwuid_r answers for its uid. Debian's
nss_wrapper (libnss-wrapper) loads it into the program beside pam_wrapper
(nss_wrapper(1): NSS_WRAPPER_MODULE_SO_PATH and _FN_PREFIX; the passwd and
group files it also requires hold only root, so every spelling of the
account reaches the module). /etc/nsswitch.conf is not touched; programs
run without the preload (otpctl, useradd) see the real account only.

The module's log lines are read from pam_wrapper's own debug output
(PAM_WRAPPER_DEBUGLEVEL=2 prints each pam_syslog line as `SYSLOG(PRIO):
LINE` on standard error), so no /dev/log sink is needed.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .pamstack import PamtesterResult, pamtester

SOURCE = Path(__file__).with_name("nss_fold.c")
PREFIX = "fold"
DOMAIN = "example.test"

_SYSLOG = re.compile(r"SYSLOG\((\d+)\): (.*)$", re.M)


def build_module(directory: Path) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
    assert compiler, "no C compiler (gcc, cc or clang) to build nss_fold.c"
    library = directory / "libnss_fold.so"
    subprocess.run([compiler, "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", str(library),
                    str(SOURCE)], check=True)
    return library


@dataclass
class FoldingNSS:
    """The built module and the files nss_wrapper requires."""

    module: Path
    passwd: Path
    group: Path

    @classmethod
    def create(cls, directory: Path) -> "FoldingNSS":
        directory.mkdir(parents=True, exist_ok=True)
        passwd = directory / "passwd"
        group = directory / "group"
        passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
        group.write_text("root:x:0:\n")
        return cls(build_module(directory), passwd, group)

    def environment(self, entry: str) -> dict:
        """The preloads and variables that make ENTRY (a passwd(5) line of
        a real account) known under its other spellings."""
        return {
            "LD_PRELOAD": "libpam_wrapper.so libnss_wrapper.so",
            "NSS_WRAPPER_PASSWD": str(self.passwd),
            "NSS_WRAPPER_GROUP": str(self.group),
            "NSS_WRAPPER_MODULE_SO_PATH": str(self.module),
            "NSS_WRAPPER_MODULE_FN_PREFIX": PREFIX,
            "NSS_FOLD_ENTRY": entry,
            "NSS_FOLD_DOMAIN": DOMAIN,
        }


class LoggedResult(PamtesterResult):
    """A pamtester run with the module's log lines."""

    def __init__(self, result: PamtesterResult):
        self.__dict__.update(result.__dict__)

    @property
    def log_lines(self) -> list:
        return [match.group(2) for match in _SYSLOG.finditer(self.output)]


def pamtester_as(nss: FoldingNSS, entry: str, service_dir: Path, service: str, user: str, answers) -> LoggedResult:
    """`pamtester SERVICE USER authenticate` under pam_wrapper and
    nss_wrapper, where USER may be any spelling of ENTRY's account."""
    environment = {**nss.environment(entry), "PAM_WRAPPER_DEBUGLEVEL": "2"}
    return LoggedResult(pamtester(service_dir, service, user, answers, extra_environment=environment))
