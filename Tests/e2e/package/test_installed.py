"""The package installed on this machine with dpkg -i (scripts/test-package
installs it before these tests, and the sshd and sudo suites run against
the same installed files): what an administrator finds after installing.

- the files are in place, root's, with their modes; /var/lib/pam_otp is
  root's with mode 0700;
- `otpctl --version` prints the one version number;
- the binaries need only libraries that Debian packages provide;
- `man pam_otp` and `man otpctl` find the pages, which render without a
  warning, and otpctl(1) names every command and option otpctl has;
- bash (through bash-completion's loader), zsh and fish complete otpctl;
- installing the same package again over it works and keeps enrolments.
"""

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from package_support import PACKAGE, installed_version, multiarch
from rigs.accounts import enrolled

MODULE = Path(f"/usr/lib/{multiarch()}/security/pam_otp.so")
OTPCTL = Path("/usr/bin/otpctl")
STATE_DIR = Path("/var/lib/pam_otp")
# As lintian runs man: every warning of groff shows, the text as UTF-8.
MAN_ENVIRONMENT = {**os.environ, "LC_ALL": "C.UTF-8", "MANROFFSEQ": "", "MANWIDTH": "80", "MANPAGER": "cat"}


@pytest.fixture(scope="module", autouse=True)
def installed(version):
    found = installed_version()
    if found != version:
        pytest.fail(f"{PACKAGE} {version} is not installed here (found {found}); scripts/test-package installs it")


def run(*command, **options):
    return subprocess.run(list(map(str, command)), capture_output=True, text=True, **options)


def owned_paths():
    return [Path(line) for line in run("dpkg", "-L", PACKAGE, check=True).stdout.splitlines() if line != "/."]


def test_files_are_roots_with_their_modes():
    programs = ["deliver-email", "deliver-sms", "deliver-push", "notify-email", "notify-webhook"]
    modes = {MODULE: 0o644, OTPCTL: 0o755, **{Path("/usr/libexec/pam_otp") / name: 0o755 for name in programs}}
    for path in owned_paths():
        info = path.lstat()
        assert info.st_uid == 0 and info.st_gid == 0, path
        assert not info.st_mode & 0o022, f"{path} is writable by others"
    for path, mode in modes.items():
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    state = STATE_DIR.stat()
    assert stat.S_ISDIR(state.st_mode) and state.st_uid == 0 and stat.S_IMODE(state.st_mode) == 0o700


def test_otpctl_version_is_the_one_version_number(version):
    result = run(OTPCTL, "--version")
    assert result.returncode == 0 and result.stdout.strip() == version, result


@pytest.mark.parametrize("binary", [OTPCTL, MODULE], ids=["otpctl", "pam_otp.so"])
def test_binary_needs_only_libraries_from_debian_packages(binary):
    listing = run("ldd", binary, check=True).stdout
    assert "not found" not in listing and "swift" not in listing.lower(), listing
    for line in listing.splitlines():
        if "=>" not in line:
            continue  # the vDSO and the dynamic loader
        library = line.split("=>")[1].split("(")[0].strip()
        owner = run("dpkg-query", "-S", library)
        if owner.returncode != 0:  # /lib is /usr/lib on Debian 12; dpkg knows one name
            owner = run("dpkg-query", "-S", str(Path(library).resolve()))
        assert owner.returncode == 0, f"{binary} loads {library}, which no Debian package provides"


@pytest.mark.parametrize("name, section", [("pam_otp", "8"), ("otpctl", "1")])
def test_man_finds_the_page_and_renders_it_without_warnings(name, section):
    found = run("man", "-w", section, name, env=MAN_ENVIRONMENT)
    assert found.stdout.strip() == f"/usr/share/man/man{section}/{name}.{section}.gz", found
    rendered = run("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", found.stdout.strip(),
                   env=MAN_ENVIRONMENT)
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr


def rendered_text(page: str) -> str:
    text = run("man", "-l", page, env={**MAN_ENVIRONMENT, "MANWIDTH": "200"}, check=True).stdout
    # Plain text: no overstrikes, and hyphens whichever way groff drew them.
    plain = subprocess.run(["col", "-bx"], input=text, capture_output=True, text=True, check=True).stdout
    return plain.replace("\u2010", "-").replace("\u2212", "-")


def test_otpctl_page_names_every_command_and_option_of_the_installed_otpctl():
    page = rendered_text("/usr/share/man/man1/otpctl.1.gz")
    tool = json.loads(run(OTPCTL, "--experimental-dump-help", check=True).stdout)["command"]
    missing = []

    def commands(group, path):
        for command in group.get("subcommands", []):
            words = f"{path} {command['commandName']}"
            yield words, command
            yield from commands(command, words)

    for words, command in commands(tool, "otpctl"):
        if words not in page:
            missing.append(words)
        for argument in command.get("arguments", []):
            for name in argument.get("names", []):
                spelled = ("--" if name["kind"] == "long" else "-") + name["name"]
                if spelled not in page:
                    missing.append(f"{words} {spelled}")
    assert not missing, f"not in otpctl(1): {missing}"


def test_bash_completes_otpctl_through_bash_completions_loader():
    # As an interactive shell does: bash-completion loads the file for the
    # command when it is first completed.
    script = """
        source /usr/share/bash-completion/bash_completion
        __load_completion otpctl || exit 3
        complete -p otpctl
        COMP_LINE="otpctl en"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(otpctl en); COMP_CWORD=1
        _otpctl otpctl en otpctl
        printf 'reply %s\\n' "${COMPREPLY[@]}"
    """
    result = run("bash", "--norc", "--noprofile", "-c", script)
    assert result.returncode == 0, result
    assert "complete -o filenames -F _otpctl otpctl" in result.stdout, result.stdout
    assert "reply enroll" in result.stdout.splitlines(), result.stdout


def test_zsh_finds_the_completion_on_its_default_path(tmp_path):
    script = f"autoload -Uz compinit && compinit -u -d {tmp_path}/zcompdump && print -r -- $_comps[otpctl]"
    result = run("zsh", "-fc", script)
    assert result.stdout.strip() == "_otpctl", result


def test_fish_completes_a_command_name(tmp_path):
    # An empty home, so no one's own fish configuration takes part
    # (--no-config would also drop the vendor directories).
    environment = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    result = run("fish", "-c", "complete -C 'otpctl en'", env={**environment, "HOME": str(tmp_path)})
    assert "enroll" in [line.split("\t")[0] for line in result.stdout.splitlines()], result


def test_installing_again_over_it_works_and_keeps_enrolments(deb, users):
    def installed_otpctl(*arguments):
        return run(OTPCTL, *arguments)

    account = enrolled(users, installed_otpctl, prefix="otppkg")
    before = account.secret_file.read_bytes()
    again = run("dpkg", "-i", deb)
    assert again.returncode == 0, again.stdout + again.stderr
    assert installed_otpctl("status", account.name).returncode == 0
    assert account.secret_file.read_bytes() == before
