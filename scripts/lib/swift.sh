# Sourced by the scripts that build: finds the Swift toolchain and says
# which one building needs.
#
# `sudo scripts/install` runs with sudo's secure_path, which drops a PATH
# entry such as /opt/swift/usr/bin, so `swift` alone is not found there.
# After PATH, look where swift.org's tarballs are usually unpacked.

# The Swift release this project is built and tested with.
PAM_OTP_SWIFT_VERSION="6.3.1"

pam_otp_find_swift() {
  command -v swift >/dev/null 2>&1 && return 0
  local dir
  for dir in ${SWIFT_TOOLCHAIN:+"$SWIFT_TOOLCHAIN/usr/bin"} /opt/swift/usr/bin /usr/share/swift/usr/bin \
    /usr/local/swift/usr/bin; do
    if [ -x "$dir/swift" ]; then
      export PATH="$dir:$PATH"
      return 0
    fi
  done
  echo "swift not found: building needs the Swift $PAM_OTP_SWIFT_VERSION toolchain (swift.org)." >&2
  echo "Put its usr/bin on PATH, or set SWIFT_TOOLCHAIN to the directory that holds usr/bin/swift." >&2
  return 1
}
