# Debian packages the build, the tests, the demo and the benchmark need.
# Sourced by the scripts; installs only what is missing, so a second run is
# quick and a fresh machine (or CI) gets everything.

# libldap-dev: only the header of the fleet store's shim (the module dlopens
# libldap at run time, and only where ldap= is configured).
PAM_OTP_BUILD_PACKAGES=(libpam0g-dev libssl-dev libqrencode-dev libpng-dev libxml2-dev libldap-dev)
# Laying out the installed files (scripts/install, scripts/package): strip,
# chrpath, the man page generator.
PAM_OTP_INSTALL_PACKAGES=(binutils chrpath python3 gzip)
# Building the .deb: dpkg-shlibdeps computes its Depends.
PAM_OTP_PACKAGE_PACKAGES=(dpkg-dev)
# Checking the .deb (scripts/test's package stage): lintian, a fresh Debian
# root, man's warnings, and the shells whose completions it installs.
PAM_OTP_PACKAGE_TEST_PACKAGES=(lintian debootstrap man-db groff-base bash-completion zsh fish)
# prometheus brings promtool, Prometheus's own parser and linter of the
# metrics `otpctl status --all --prometheus` writes (Debian ships it only
# with the server, which systemd then starts; the tests need only promtool).
PAM_OTP_TEST_PACKAGES=(
  binutils pamtester libpam-wrapper libnss-wrapper libpamtest0-dev python3-pypamtest python3-pam
  python3-pytest python3-pexpect python3-pyotp prometheus python3-prometheus-client
  oathtool libpam-google-authenticator libpam-oath
  openssh-server openssh-client sudo zbar-tools
  python3-aiosmtpd msmtp curl libclang-rt-14-dev faketime
  # The fleet tests run their own slapd servers from temporary directories.
  slapd ldap-utils
)

pam_otp_install() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
