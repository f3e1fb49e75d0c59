"""The .deb as scripts/package built it, before it is installed anywhere:
lintian's verdict, its name and control fields, and where its files go."""

import subprocess

from package_support import PACKAGE, deb_field, deb_paths, multiarch

SHIPPED = {
    f"/usr/lib/{multiarch()}/security/pam_otp.so",
    "/usr/bin/otpctl",
    "/usr/libexec/pam_otp/deliver-email",
    "/usr/libexec/pam_otp/deliver-sms",
    "/usr/libexec/pam_otp/deliver-push",
    "/usr/libexec/pam_otp/notify-email",
    "/usr/libexec/pam_otp/notify-webhook",
    "/usr/share/man/man8/pam_otp.8.gz",
    "/usr/share/man/man1/otpctl.1.gz",
    "/usr/share/bash-completion/completions/otpctl",
    "/usr/share/zsh/vendor-completions/_otpctl",
    "/usr/share/fish/vendor_completions.d/otpctl.fish",
    "/usr/share/doc/pam-otp/copyright",
    "/usr/share/doc/pam-otp/changelog.gz",
    "/usr/share/doc/pam-otp/README.md.gz",
    "/usr/share/doc/pam-otp/examples/password-then-code",
    "/usr/share/doc/pam-otp/examples/key-then-code",
    "/usr/share/doc/pam-otp/examples/sshd_config.d/password-then-code.conf",
    "/usr/share/doc/pam-otp/examples/sshd_config.d/key-then-code.conf",
    "/usr/share/doc/pam-otp/examples/fleet/acl.conf",
    "/usr/share/doc/pam-otp/examples/fleet/schema.ldif",
    "/usr/share/doc/pam-otp/examples/fleet/ldap.conf.example",
}


def test_lintian_finds_no_errors_and_no_warnings(deb):
    # Its informational tags are kept (README, Development): fortify does
    # not apply to Swift, a PAM module's page is in section 8 without a
    # program of that name, and the spelling tags are fragments of strings
    # in the statically linked Swift libraries.
    result = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb)], capture_output=True, text=True)
    tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert result.returncode == 0 and not tags, result.stdout + result.stderr


def test_file_name_and_version_are_the_one_version_number(deb, version):
    architecture = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    assert deb.name == f"{PACKAGE}_{version}_{architecture}.deb"
    assert deb_field(deb, "Package") == PACKAGE
    assert deb_field(deb, "Version") == version


def test_depends_name_the_libraries_the_binaries_load_and_no_toolchain(deb):
    depends = deb_field(deb, "Depends")
    packages = {item.split()[0] for item in depends.split(", ")}
    assert {"libc6", "libpam0g", "libssl3", "libqrencode4", "libpng16-16", "libxml2"} <= packages, depends
    assert "swift" not in depends.lower(), depends


def test_files_go_where_debian_looks_for_them(deb):
    paths = deb_paths(deb)
    assert SHIPPED <= paths, sorted(SHIPPED - paths)


def test_it_ships_nothing_under_etc(deb):
    # No PAM stack, no sshd configuration, no conffile: the administrator
    # decides what changes there.
    assert not [path for path in deb_paths(deb) if path == "/etc" or path.startswith("/etc/")]
