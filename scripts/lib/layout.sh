# Sourced by scripts/install and scripts/package: every file pam_otp
# installs, where Debian expects it, with its mode. One list, so the package
# and a from-source install hold the same files.
#
#   pam_otp_lay_out ROOT BIN   builds the tree under ROOT (an empty
#                              directory) from the release build in BIN
#
# Run from the top of the checkout, after `swift build -c release`.

source scripts/lib/version.sh

pam_otp_multiarch() {
  gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu
}

# Stripped, and without the $ORIGIN run path SwiftPM links in: a module in
# the shared security directory must not look for libraries beside itself.
pam_otp_install_binary() {
  local mode="$1" source="$2" target="$3"
  install -m "$mode" "$source" "$target"
  strip --remove-section=.comment --remove-section=.note --strip-unneeded "$target"
  if readelf -d "$target" | grep -qE 'R(UN)?PATH'; then
    chrpath -d "$target" >/dev/null
  fi
}

pam_otp_lay_out() {
  local root="$1" bin="$2"
  local version date doc security
  version="$(pam_otp_version)"
  date="$(date -u -d "@$(pam_otp_source_epoch)" +%Y-%m-%d)"
  security="$root/usr/lib/$(pam_otp_multiarch)/security"
  doc="$root/usr/share/doc/pam-otp"

  install -d -m 0755 "$security" "$root/usr/bin" "$root/usr/libexec/pam_otp" \
    "$root/usr/share/man/man1" "$root/usr/share/man/man8" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d" "$doc/examples/sshd_config.d" "$doc/examples/fleet"

  pam_otp_install_binary 0644 "$bin/libpam_otp.so" "$security/pam_otp.so"
  pam_otp_install_binary 0755 "$bin/otpctl" "$root/usr/bin/otpctl"
  # The deliver= and notify= programs: root's, in a directory only root can
  # write, as the module demands.
  install -m 0755 scripts/deliver-email scripts/deliver-sms scripts/deliver-push scripts/notify-email \
    scripts/notify-webhook "$root/usr/libexec/pam_otp/"

  # Manual pages: pam_otp(8) as written, otpctl(1) from otpctl's parser.
  sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g" scripts/man/pam_otp.8.in |
    gzip -9n > "$root/usr/share/man/man8/pam_otp.8.gz"
  python3 scripts/man/otpctl-page scripts/man/otpctl.1.in "$bin/otpctl" "$version" "$date" |
    gzip -9n > "$root/usr/share/man/man1/otpctl.1.gz"
  chmod 0644 "$root/usr/share/man/man8/pam_otp.8.gz" "$root/usr/share/man/man1/otpctl.1.gz"

  # Completions, from the argument parser. Bash sources its file, so it
  # gets no #! line.
  "$bin/otpctl" --generate-completion-script bash | sed '1{/^#!/d}' \
    > "$root/usr/share/bash-completion/completions/otpctl"
  "$bin/otpctl" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_otpctl"
  "$bin/otpctl" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/otpctl.fish"
  chmod 0644 "$root/usr/share/bash-completion/completions/otpctl" \
    "$root/usr/share/zsh/vendor-completions/_otpctl" "$root/usr/share/fish/vendor_completions.d/otpctl.fish"

  # The recipes for Debian's stacks and sshd, and the README.
  install -m 0644 pam.d/password-then-code pam.d/key-then-code "$doc/examples/"
  install -m 0644 pam.d/sshd_config.d/*.conf "$doc/examples/sshd_config.d/"
  # The fleet store (ldap=): schema load, access rules, the module's file.
  install -m 0644 scripts/fleet/acl.conf scripts/fleet/acl.ldif scripts/fleet/schema.ldif \
    scripts/fleet/ldap.conf.example "$doc/examples/fleet/"
  gzip -9n < README.md > "$doc/README.md.gz"
  chmod 0644 "$doc/README.md.gz"
}
