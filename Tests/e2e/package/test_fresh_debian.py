"""The package on a fresh Debian 12 that has never seen a Swift toolchain:
a minimal root made by debootstrap (rigs/debian_root.py), one lifecycle
from installation to purge, in order:

1. apt installs the .deb and fetches what its Depends name;
2. otpctl runs there, needing nothing that is not installed;
3. otpctl enrols a user, and pamtester logs in through the installed
   module with the code from the secret (a wrong code is refused);
4. removal is refused while a stack in /etc/pam.d names the module;
5. dpkg -r removes every file of the package but keeps the secrets;
6. a second installation over the first works, and finds the enrolment;
7. purge deletes the secrets;
and at no point did the package change /etc/pam.d.
"""

import hashlib
import json
import shutil
import time

import pytest

from package_support import PACKAGE
from rigs.codes import secret_of, totp, wrong_totp
from rigs.debian_root import fresh_debian_root

USER = "alice"
SERVICE_FILE = "/etc/pam.d/otp-check"
DEB_IN_ROOT = "/tmp/pam-otp.deb"


def digest_tree(root, directory: str) -> dict:
    base = root.file(directory)
    return {str(path.relative_to(base)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(base.rglob("*")) if path.is_file() and not path.is_symlink()}


@pytest.fixture(scope="module")
def root(deb):
    with fresh_debian_root() as debian:
        shutil.copyfile(deb, debian.file(DEB_IN_ROOT))
        # /etc/pam.d as Debian made it, to compare with after remove and purge.
        debian.pam_d_before = digest_tree(debian, "/etc/pam.d")
        yield debian


def apt_install(root):
    """apt-get install of the .deb; the cached root's package lists may be
    out of date (a fixed mirror moves on), then they are fetched anew."""
    result = root.run("apt-get", "install", "-y", "-q", DEB_IN_ROOT)
    if result.returncode != 0:
        root.run("apt-get", "update", "-q", check=True)
        result = root.run("apt-get", "install", "-y", "-q", DEB_IN_ROOT)
    return result


def installed(root) -> bool:
    return root.run("dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE).stdout == "installed"


def authenticate(root, code):
    """pamtester, as root inside the root, through a service that runs only
    the installed module by its plain name."""
    root.file(SERVICE_FILE).write_text("auth required pam_otp.so\naccount required pam_permit.so\n")
    return root.run("pamtester", "-v", "otp-check", USER, "authenticate", input=f"{code}\n", timeout=60)


class TestOnAFreshDebian12:
    def test_1_apt_installs_it_and_fetches_its_depends(self, root, version):
        assert not root.file("/opt/swift").exists()
        assert root.run("dpkg-query", "-W", "libqrencode4").returncode != 0, "minbase already has libqrencode4"
        result = apt_install(root)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert installed(root)
        assert root.run("dpkg-query", "-W", "-f=${Version}", PACKAGE).stdout == version
        assert root.run("dpkg-query", "-W", "-f=${db:Status-Status}", "libqrencode4").stdout == "installed"

    def test_2_otpctl_runs_without_a_swift_toolchain(self, root, version):
        result = root.run("otpctl", "--version")
        assert result.returncode == 0 and result.stdout.strip() == version, result
        libraries = root.run("ldd", "/usr/bin/otpctl", check=True).stdout
        assert "not found" not in libraries and "swift" not in libraries.lower(), libraries
        found = root.run("find", "/", "-xdev", "-name", "libswiftCore*").stdout
        assert found == "", found

    def test_3_otpctl_enrols_and_the_installed_module_checks_the_code(self, root):
        root.run("useradd", "--create-home", USER, check=True)
        enrolment = root.run("otpctl", "enroll", USER, "--qr", "none", "--json")
        assert enrolment.returncode == 0, enrolment
        assert json.loads(enrolment.stdout)["secret_file"] == f"/var/lib/pam_otp/{USER}"
        secret = secret_of(root.file(f"/var/lib/pam_otp/{USER}"))
        refused = authenticate(root, wrong_totp(secret))
        assert "Verification code: " in refused.stderr and refused.returncode != 0, refused
        accepted = authenticate(root, totp(secret))
        assert "Verification code: " in accepted.stderr, accepted
        assert accepted.returncode == 0 and "successfully authenticated" in accepted.stdout + accepted.stderr, accepted

    def test_4_removal_is_refused_while_a_stack_names_the_module(self, root):
        assert root.file(SERVICE_FILE).exists()
        result = root.run("dpkg", "-r", PACKAGE)
        assert result.returncode != 0, result
        assert SERVICE_FILE in result.stderr and "every login through them fails" in result.stderr, result.stderr
        assert installed(root)
        root.file(SERVICE_FILE).unlink()

    def test_5_remove_takes_every_file_but_the_secrets(self, root):
        listed = root.run("dpkg", "-L", PACKAGE, check=True).stdout.split()
        files = [path for path in listed if root.file(path).is_file()]
        secret = root.file(f"/var/lib/pam_otp/{USER}").read_bytes()
        result = root.run("dpkg", "-r", PACKAGE)
        assert result.returncode == 0, result
        assert [path for path in files if root.file(path).exists()] == []
        assert root.file(f"/var/lib/pam_otp/{USER}").read_bytes() == secret
        assert digest_tree(root, "/etc/pam.d") == root.pam_d_before

    def test_6_a_second_install_over_the_first_works_and_finds_the_enrolment(self, root):
        assert apt_install(root).returncode == 0
        again = root.run("dpkg", "-i", DEB_IN_ROOT)
        assert again.returncode == 0, again
        status = root.run("otpctl", "status", USER)
        assert status.returncode == 0, status
        secret = secret_of(root.file(f"/var/lib/pam_otp/{USER}"))
        # The next step's code: this step's may have been used in step 3.
        accepted = authenticate(root, totp(secret, at=time.time() + 30))
        assert accepted.returncode == 0, accepted
        root.file(SERVICE_FILE).unlink()

    def test_7_purge_deletes_the_secrets(self, root):
        result = root.run("dpkg", "--purge", PACKAGE)
        assert result.returncode == 0, result
        assert not root.file("/var/lib/pam_otp").exists()
        assert not installed(root)
        assert digest_tree(root, "/etc/pam.d") == root.pam_d_before
