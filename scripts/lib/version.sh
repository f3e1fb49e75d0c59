# Sourced by the scripts that install or package: the version number, read
# from its one place (Sources/OTPCore/Version.swift), and the date of the
# sources (the last commit; today outside a git checkout), for the man
# pages and the package's changelog.

pam_otp_version() {
  local version
  version="$(sed -n 's/^ *public static let text = "\([0-9][0-9A-Za-z.+~]*\)".*$/\1/p' Sources/OTPCore/Version.swift)"
  if [ -z "$version" ]; then
    echo "no version found in Sources/OTPCore/Version.swift" >&2
    return 1
  fi
  echo "$version"
}

# Seconds since 1970 (SOURCE_DATE_EPOCH if set, as reproducible builds do).
pam_otp_source_epoch() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    echo "$SOURCE_DATE_EPOCH"
  else
    git log -1 --format=%ct 2>/dev/null || date +%s
  fi
}
