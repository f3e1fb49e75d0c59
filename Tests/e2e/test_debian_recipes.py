"""The README's recipes on a stock Debian 12, as a new administrator would
apply them:

- sshd: Debian's own sshd_config with one of the drop-ins from
  pam.d/sshd_config.d/ passes `sshd -t`, and sshd then runs with the
  settings the drop-in asks for. The same lines appended to the end of
  Debian's file instead are refused (its earlier
  `KbdInteractiveAuthentication no` wins): the reason for the drop-in.
- PAM: replacing `@include common-auth` with a recipe in Debian's
  /etc/pam.d/sshd, sudo and login keeps every other line of those files
  (pam_nologin, pam_loginuid, pam_limits, pam_env, pam_keyinit, motd).
- End to end: a real sshd running Debian's sshd_config plus the drop-in,
  authenticating through Debian's /etc/pam.d/sshd plus the recipe, lets a
  user in with password and code and refuses a wrong code. (test_sshd.py
  and test_sudo.py run their whole suites on these stacks.)
"""

import subprocess
from pathlib import Path

import pytest

from rigs.accounts import enrolled
from rigs.codes import totp, wrong_totp
from rigs.debian import (COMMON_AUTH, STOCK_SSHD_CONFIG, debian_stack, kept_lines, modules,
                         sshd_config_with_drop_in_dir, stock_file)
from rigs.pamstack import ROOT, auth_lines, pamtester, private_service_dir
from rigs.sshd import SSHD, SshServer, ssh

DROP_INS = ROOT / "pam.d" / "sshd_config.d"
EXPECTED = {
    "password-then-code.conf": {
        "usepam": "yes", "kbdinteractiveauthentication": "yes", "passwordauthentication": "no",
        "authenticationmethods": "keyboard-interactive",
    },
    "key-then-code.conf": {
        "usepam": "yes", "kbdinteractiveauthentication": "yes", "passwordauthentication": "no",
        "pubkeyauthentication": "yes", "authenticationmethods": "publickey,keyboard-interactive:pam",
    },
}


@pytest.fixture
def host_key(tmp_path):
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def configuration(tmp_path: Path, drop_in: str) -> Path:
    """Debian's sshd_config, reading its drop-ins from a private directory
    that holds DROP_IN (as /etc/ssh/sshd_config.d/pam_otp.conf would)."""
    directory = tmp_path / "sshd_config.d"
    directory.mkdir()
    (directory / "pam_otp.conf").write_text((DROP_INS / drop_in).read_text())
    config = tmp_path / "sshd_config"
    config.write_text(sshd_config_with_drop_in_dir(STOCK_SSHD_CONFIG.read_text(), directory))
    return config


def sshd_check(config: Path, host_key: Path, *mode) -> subprocess.CompletedProcess:
    return subprocess.run([str(SSHD), *mode, "-f", str(config), "-h", str(host_key)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("drop_in", sorted(EXPECTED))
def test_drop_in_over_debians_sshd_config_passes_sshd_t(tmp_path, host_key, drop_in):
    config = configuration(tmp_path, drop_in)
    check = sshd_check(config, host_key, "-t")
    assert check.returncode == 0, check.stderr
    effective = sshd_check(config, host_key, "-T")
    assert effective.returncode == 0, effective.stderr
    settings = dict(line.split(" ", 1) for line in effective.stdout.splitlines() if " " in line)
    for key, value in EXPECTED[drop_in].items():
        assert settings.get(key) == value, f"{key}: {settings.get(key)!r}, wanted {value!r}"


def test_the_same_lines_appended_to_debians_file_stop_sshd(tmp_path, host_key):
    # What the README used to say: Debian's KbdInteractiveAuthentication no
    # comes first and wins, and sshd refuses to start.
    config = tmp_path / "sshd_config"
    config.write_text(STOCK_SSHD_CONFIG.read_text() + "\n" + (DROP_INS / "password-then-code.conf").read_text())
    check = sshd_check(config, host_key, "-t")
    assert check.returncode != 0, "sshd accepted the appended lines; the drop-in advice would be moot"
    assert "AuthenticationMethods" in check.stderr, check.stderr


@pytest.mark.parametrize("service, recipe, debian_modules", [
    ("sshd", "password-then-code",
     {"pam_nologin.so", "pam_loginuid.so", "pam_keyinit.so", "pam_motd.so", "pam_limits.so", "pam_env.so"}),
    ("sshd", "key-then-code",
     {"pam_nologin.so", "pam_loginuid.so", "pam_keyinit.so", "pam_motd.so", "pam_limits.so", "pam_env.so"}),
    ("sudo", "password-then-code", {"pam_limits.so"}),
    ("login", "password-then-code", {"pam_nologin.so", "pam_loginuid.so", "pam_limits.so", "pam_env.so"}),
])
def test_recipe_keeps_every_other_line_of_debians_stack(service, recipe, debian_modules):
    stock = stock_file(Path("/etc/pam.d") / service)
    result = debian_stack(service, recipe)
    assert COMMON_AUTH in stock and COMMON_AUTH not in result
    assert kept_lines(stock, result), result
    assert debian_modules <= set(modules(result)), result
    assert "pam_otp.so" in modules(result)


def test_debian_login_stack_with_the_recipe_asks_password_then_code(module_path, users, otpctl, tmp_path):
    # login cannot be driven here as sshd and sudo are; its auth lines
    # (pam_faildelay, pam_nologin, then the recipe) run under pamtester.
    account = enrolled(users, otpctl)
    services = private_service_dir(tmp_path / "services", {
        "login-otp": auth_lines(debian_stack("login", "password-then-code", module_path)),
    })
    result = pamtester(services, "login-otp", account.name, [account.password, totp(account.secret)])
    assert result.count("Password: ") == 1 and result.count("Verification code: ") == 1, result
    assert result.authenticated, result


@pytest.fixture
def debian_sshd(module_path, tmp_path_factory):
    """A real sshd that runs Debian's sshd_config with the password-then-code
    drop-in, and Debian's /etc/pam.d/sshd with the recipe (under the rig's
    own service name)."""
    directory = tmp_path_factory.mktemp("sshd-debian")
    config = configuration(directory, "password-then-code.conf")
    server = SshServer(directory, debian_stack("sshd", "password-then-code", module_path),
                       base_config=config.read_text())
    with server:
        yield server


def test_debian_sshd_with_drop_in_and_recipe_logs_in_with_password_and_code(debian_sshd, users, otpctl, tmp_path):
    account = enrolled(users, otpctl)
    known_hosts = tmp_path / "known_hosts"
    command = 'echo "remote:$(id -un)"'
    attempt = ssh(debian_sshd.port, account.name, command,
                  {"password": account.password, "code": totp(account.secret)}, known_hosts)
    assert attempt.prompts == ["password", "code"], f"{attempt}\n{debian_sshd.log_text()[-3000:]}"
    assert attempt.succeeded and f"remote:{account.name}" in attempt.output, attempt
    refused = ssh(debian_sshd.port, account.name, command,
                  {"password": account.password, "code": wrong_totp(account.secret)}, known_hosts)
    assert refused.prompts == ["password", "code"] and not refused.succeeded, refused
