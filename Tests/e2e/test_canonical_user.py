"""One account, several spellings (issue 9, point 7).

Where NSS maps several spellings to one account (SSSD with
`case_sensitive = false`, logins as `alice@domain`), `ssh ALICE@host`
passes alice's password. The module once expanded `${USER}` with the name
as typed, found no `DIR/ALICE` and, with `nullok`, let the login through
on the password alone. It now looks every PAM user up with getpwnam_r and
expands `${USER}` with the account's own name (pw_name); a name NSS does
not know is refused after a prompt.

The parts are real: an unmodified pamtester under pam_wrapper (a private
service directory) and nss_wrapper, which loads rigs/nss_fold.c, an NSS
module that knows a real throwaway account (made with useradd, so the
file checks see its uid) under every case of its name and as
NAME@example.test, and always answers with the account's own lower-case
name. The stack is the auth lines of Debian's /etc/pam.d/sshd with the
recipe pam.d/password-then-code, both pam_otp lines given
`secret=DIR/${USER} nullok` (DIR root's, 0700; the file root's, 0600).
pam_unix cannot check a password under a spelling (it reads /etc/shadow
under the name it is given), so pam_matrix stands in for the directory's
password check (pam_sss), with the account's password under every
spelling: the tests are about the second factor.

Codes come from oathtool. The module's log lines are read from
pam_wrapper's debug output (rigs/nss_fold.py).
"""

import os
import pwd
import secrets
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from rigs.codes import oathtool_totp, secret_of, wrong_totp
from rigs.debian import debian_stack
from rigs.nss_fold import DOMAIN, FoldingNSS, LoggedResult, pamtester_as
from rigs.pamstack import auth_lines, private_service_dir, with_options_on_every

PASSWORD_PROMPT = "Password: "
CODE_PROMPT = "Verification code: "
PAM_MATRIX = Path("/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so")
SERVICE = "fold-sshd"
DEBUG_SERVICE = "fold-sshd-debug"


@pytest.fixture(scope="module")
def nss(tmp_path_factory):
    return FoldingNSS.create(tmp_path_factory.mktemp("nss-fold"))


SPELLINGS = {
    "upper": lambda name: name.upper(),
    "at-domain": lambda name: f"{name}@{DOMAIN}",
    "mixed-at-domain": lambda name: f"{name.capitalize()}@{DOMAIN.upper()}",
}
# Names that are no account: the nss module answers not found.
STRANGERS = {
    "other-domain": lambda name: f"{name}@other.test",
    "suffix": lambda name: f"{name}x",
}


def passwd_line(entry: pwd.struct_passwd) -> str:
    return ":".join(str(field) for field in (entry.pw_name, "x", entry.pw_uid, entry.pw_gid, entry.pw_gecos,
                                              entry.pw_dir, entry.pw_shell))


def sshd_stack(module: Path, passdb: Path, secret_dir: Path, *options: str) -> str:
    stack = auth_lines(debian_stack("sshd", "password-then-code", module))
    # pam_matrix in place of pam_unix, with the same control field.
    assert stack.count("pam_unix.so nodelay") == 1, stack
    stack = stack.replace("pam_unix.so nodelay", f"{PAM_MATRIX} passdb={passdb}")
    return with_options_on_every(stack, module, f"secret={secret_dir}/${{USER}}", "nullok", *options)


@dataclass
class Account:
    """A real account, enrolled in a private secret directory, known to
    pamtester's NSS under other spellings too."""

    name: str
    password: str
    entry: str
    secret_dir: Path
    service_dir: Path
    nss: FoldingNSS

    @property
    def secret_file(self) -> Path:
        return self.secret_dir / self.name

    @property
    def secret(self) -> str:
        return secret_of(self.secret_file)

    @property
    def upper(self) -> str:
        return self.name.upper()

    def spelling(self, kind: str) -> str:
        return SPELLINGS[kind](self.name)

    def stranger(self, kind: str) -> str:
        return STRANGERS[kind](self.name)

    def login(self, user: str, code: str, service: str = SERVICE) -> LoggedResult:
        """pamtester as USER: the account's password, then CODE."""
        return pamtester_as(self.nss, self.entry, self.service_dir, service, user, [self.password, code])

    def files(self) -> list:
        return sorted(os.listdir(self.secret_dir))

    def used_steps(self) -> set:
        """The TOTP steps the file records as used (GA's DISALLOW_REUSE line)."""
        for line in self.secret_file.read_text().splitlines():
            words = line.split()
            if words[:2] == ['"', "DISALLOW_REUSE"]:
                return {int(word) for word in words[2:]}
        raise AssertionError(f"no DISALLOW_REUSE line in {self.secret_file}")


@pytest.fixture
def alice(users, otpctl, nss, module_path, tmp_path):
    entry = users.create("otpfold")
    name = entry.pw_name
    assert name == name.lower() and name != name.upper()
    secret_dir = tmp_path / "secrets"
    secret_dir.mkdir(mode=0o700)
    secret_file = secret_dir / name
    try:
        result = otpctl("enroll", name, "--secret-file", secret_file, "--qr", "none", "--json")
        assert result.returncode == 0, result.stderr
        # An administrator's file, as in /var/lib/pam_otp: root's, 0600.
        os.chown(secret_file, 0, 0)
        os.chmod(secret_file, 0o600)
        assert '" DISALLOW_REUSE' in secret_file.read_text()
        password = "pw-" + secrets.token_hex(8)
        # The directory's password check knows the strangers too, so that
        # only pam_otp stands between them and a login.
        spellings = [name, *(spell(name) for spell in (*SPELLINGS.values(), *STRANGERS.values()))]
        passdb = tmp_path / "passdb"
        passdb.write_text("".join(f"{spelling}:{password}:{service}\n"
                                  for spelling in spellings for service in (SERVICE, DEBUG_SERVICE)))
        service_dir = private_service_dir(tmp_path / "pam-services", {
            SERVICE: sshd_stack(module_path, passdb, secret_dir),
            DEBUG_SERVICE: sshd_stack(module_path, passdb, secret_dir, "debug"),
        })
        yield Account(name, password, passwd_line(entry), secret_dir, service_dir, nss)
    finally:
        shutil.rmtree(secret_dir, ignore_errors=True)


def assert_root_file(path: Path):
    status = path.stat()
    assert status.st_uid == 0 and status.st_gid == 0 and stat.S_IMODE(status.st_mode) == 0o600, status


def reason(result: LoggedResult) -> str:
    """The result and reason of the module's last log line."""
    lines = [line for line in result.log_lines if " result=" in line]
    assert lines, result
    return lines[-1]


def test_the_nss_module_knows_the_spellings_and_no_others(alice, nss):
    """The rig itself: through nss_wrapper, getpwnam answers for the other
    spellings with the account's own entry, and not for other names."""
    uid = pwd.getpwnam(alice.name).pw_uid
    probe = ("import pwd, sys\n"
             f"print('uid', pwd.getpwuid({uid}).pw_name)\n"
             "for name in sys.argv[1:]:\n"
             "    try: print(name, pwd.getpwnam(name).pw_name, pwd.getpwnam(name).pw_uid)\n"
             "    except KeyError: print(name, '-', '-')\n")
    known = [alice.name, *(alice.spelling(kind) for kind in SPELLINGS)]
    strangers = [alice.stranger(kind) for kind in STRANGERS]
    environment = {**os.environ, **nss.environment(alice.entry), "LD_PRELOAD": "libnss_wrapper.so"}
    completed = subprocess.run(["/usr/bin/python3", "-c", probe, *known, *strangers], capture_output=True,
                               text=True, env=environment, check=True)
    answers = dict(line.split(" ", 1) for line in completed.stdout.splitlines())
    assert answers["uid"] == alice.name, completed.stdout
    for name in known:
        assert answers[name] == f"{alice.name} {uid}", completed.stdout
    for name in strangers:
        assert answers[name] == "- -", completed.stdout
    # Without the preload, only the real name is an account.
    with pytest.raises(KeyError):
        pwd.getpwnam(alice.upper)


@pytest.mark.parametrize("kind", SPELLINGS)
def test_another_spelling_uses_the_accounts_own_file(alice, kind):
    user = alice.spelling(kind)
    assert alice.files() == [alice.name]

    wrong = alice.login(user, wrong_totp(alice.secret))
    assert wrong.count(PASSWORD_PROMPT) == 1 and wrong.count(CODE_PROMPT) == 1, wrong
    assert not wrong.authenticated, wrong
    assert 'result=refused reason="wrong code"' in reason(wrong), wrong
    assert alice.files() == [alice.name]

    moment = time.time()
    code = oathtool_totp(alice.secret, moment)
    right = alice.login(user, code)
    assert right.count(PASSWORD_PROMPT) == 1 and right.count(CODE_PROMPT) == 1, right
    assert right.authenticated, right
    assert "result=success" in reason(right), right
    # The use is recorded in the account's file, which stays root's.
    assert int(moment) // 30 in alice.used_steps()
    assert_root_file(alice.secret_file)
    assert alice.files() == [alice.name]

    # The same code under the account's own name: already used.
    replay = alice.login(alice.name, code)
    assert replay.count(CODE_PROMPT) == 1, replay
    assert not replay.authenticated, replay
    assert 'result=refused reason="code already used"' in reason(replay), replay
    assert alice.files() == [alice.name]


def test_a_file_named_after_the_spelling_is_never_read(alice, otpctl):
    """A root-owned file at DIR/ALICE with a secret of its own: if the
    module read it, its code would pass and alice's would not."""
    trap = alice.secret_dir / alice.upper
    result = otpctl("enroll", alice.name, "--secret-file", trap, "--qr", "none", "--json")
    assert result.returncode == 0, result.stderr
    os.chown(trap, 0, 0)
    os.chmod(trap, 0o600)
    trap_bytes = trap.read_bytes()
    trap_secret = secret_of(trap)
    assert trap_secret != alice.secret

    moment = time.time()
    refused = alice.login(alice.upper, oathtool_totp(trap_secret, moment))
    assert refused.count(CODE_PROMPT) == 1, refused
    assert not refused.authenticated, refused
    assert 'result=refused reason="wrong code"' in reason(refused), refused

    accepted = alice.login(alice.upper, oathtool_totp(alice.secret, moment))
    assert accepted.count(CODE_PROMPT) == 1, accepted
    assert accepted.authenticated, accepted
    assert int(moment) // 30 in alice.used_steps()
    assert trap.read_bytes() == trap_bytes
    assert alice.files() == sorted([alice.name, alice.upper])


@pytest.mark.parametrize("with_file", [False, True], ids=["no-file", "root-file-under-the-name"])
@pytest.mark.parametrize("kind", STRANGERS)
def test_a_name_nss_does_not_know_is_refused_after_a_prompt(alice, otpctl, kind, with_file):
    """With nullok, a name that is no account is asked for a code and
    refused: without a file under it (not let through), and with a
    root-owned file there (whose code does not let it in)."""
    user = alice.stranger(kind)
    secret = alice.secret
    if with_file:
        stray = alice.secret_dir / user
        result = otpctl("enroll", alice.name, "--secret-file", stray, "--qr", "none", "--json")
        assert result.returncode == 0, result.stderr
        os.chown(stray, 0, 0)
        os.chmod(stray, 0o600)
        secret = secret_of(stray)
    result = alice.login(user, oathtool_totp(secret))
    assert result.count(PASSWORD_PROMPT) == 1 and result.count(CODE_PROMPT) == 1, result
    assert not result.authenticated, result
    assert 'result=refused reason="unknown user"' in reason(result), result
    assert alice.files() == sorted([alice.name, user] if with_file else [alice.name])


def test_the_debug_line_names_the_account(alice):
    moment = time.time()
    result = alice.login(alice.upper, oathtool_totp(alice.secret, moment), service=DEBUG_SERVICE)
    assert result.count(CODE_PROMPT) == 1 and result.authenticated, result
    debug = [line for line in result.log_lines if " version=" in line]
    assert len(debug) == 1, result
    assert f"user={alice.upper} " in debug[0], debug
    assert f" account={alice.name} " in debug[0], debug
    assert debug[0].endswith(f" secret={alice.secret_dir}/{alice.name}"), debug

    # Under the account's own name the line has no account= field.
    own = alice.login(alice.name, oathtool_totp(alice.secret, moment + 30), service=DEBUG_SERVICE)
    assert own.count(CODE_PROMPT) == 1 and own.authenticated, own
    debug = [line for line in own.log_lines if " version=" in line]
    assert len(debug) == 1 and " account=" not in debug[0], own
    assert debug[0].endswith(f" secret={alice.secret_dir}/{alice.name}"), debug
