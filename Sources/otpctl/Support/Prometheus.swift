/// `status --all --prometheus`: the listing in Prometheus's text exposition
/// format (version 0.0.4), for node_exporter's textfile collector. Every
/// metric is a gauge with a `user` label; its samples follow its `# HELP`
/// and `# TYPE` lines, as the format requires. Times are Unix seconds.
/// A file that cannot be used has only `pam_otp_enrolled` and
/// `pam_otp_file_unusable`; a value the file does not hold (a last success
/// it keeps no record of) has no sample, rather than a made-up 0.
enum Prometheus {
  struct Metric: Sendable {
    let name: String
    let help: String
    /// The sample for one entry: extra labels and the value, or nil for none.
    let sample: @Sendable (StoreEntry) -> (labels: [(String, String)], value: Int64)?
  }

  static let metrics: [Metric] = [
    Metric(name: "pam_otp_enrolled", help: "1 for each user with a secret file in the store, usable or not.") { _ in
      ([], 1)
    },
    Metric(
      name: "pam_otp_file_unusable",
      help: "1 if the user's secret file cannot be used (unsafe, malformed, no such user): their logins fail."
    ) { entry in ([], entry.error == nil ? 0 : 1) },
    Metric(
      name: "pam_otp_token_info",
      help: "1, with the token as labels: type (totp, hotp, no-app), algorithm, digits, period (TOTP), delivery channel."
    ) { entry in
      entry.status.map { status in
        var period = ""
        if case .totp = status.file.mode { period = "\(status.file.effectiveStepSize)" }
        return (
          [
            ("type", status.kind), ("algorithm", status.file.effectiveAlgorithm.name),
            ("digits", "\(status.file.effectiveDigits)"), ("period", period),
            ("delivery", status.file.delivery?.channel.name ?? ""),
          ], 1
        )
      }
    },
    Metric(name: "pam_otp_failures", help: "Wrong codes in a row since the user's last success (FAILURES).") { entry in
      entry.status.map { ([], Int64($0.failures)) }
    },
    Metric(name: "pam_otp_last_failure_seconds", help: "When the last of those wrong codes was entered.") { entry in
      entry.status?.file.failures.map { ([], $0.last) }
    },
    Metric(
      name: "pam_otp_backoff_until_seconds",
      help: "When the user's back-off ends, as the module recorded it (BACKOFF_UNTIL); 0 when none is in force."
    ) { entry in entry.status.map { ([], $0.backoff?.time ?? 0) } },
    Metric(
      name: "pam_otp_backoff_estimated",
      help: "1 if pam_otp_backoff_until_seconds is computed with the default backoff= options: the file has no record."
    ) { entry in entry.status.map { ([], $0.backoff?.isEstimate == true ? 1 : 0) } },
    Metric(name: "pam_otp_scratch_codes_remaining", help: "Emergency scratch codes the user has left.") { entry in
      entry.status.map { ([], Int64($0.file.scratchCodes.count)) }
    },
    Metric(
      name: "pam_otp_last_success_seconds",
      help: "The user's last success as the file records it (LASTn exact; else the newest used code, within the window)."
    ) { entry in entry.status?.lastSuccess?.time.map { ([], $0) } },
  ]

  static func text(_ listing: StoreListing) -> String {
    var lines: [String] = []
    for metric in metrics {
      lines.append("# HELP \(metric.name) \(escapeHelp(metric.help))")
      lines.append("# TYPE \(metric.name) gauge")
      for entry in listing.entries {
        guard let (labels, value) = metric.sample(entry) else { continue }
        let pairs = [("user", entry.user)] + labels
        lines.append("\(metric.name){\(pairs.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ","))} \(value)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A label value: `\`, `"` and line feed escaped, as the format says.
  static func escapeLabel(_ value: String) -> String {
    escape(value, quote: true)
  }

  /// A HELP text: `\` and line feed escaped.
  static func escapeHelp(_ value: String) -> String {
    escape(value, quote: false)
  }

  /// By Unicode scalar: as a Character, "\r\n" would hide its line feed.
  private static func escape(_ value: String, quote: Bool) -> String {
    var text = ""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\\": text += "\\\\"
      case "\"" where quote: text += "\\\""
      case "\n": text += "\\n"
      default: text.unicodeScalars.append(scalar)
      }
    }
    return text
  }
}
