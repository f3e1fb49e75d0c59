import ArgumentParser
import OTPCore

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show how a user is enrolled (never the secret).",
    discussion: """
      A back-off is shown as the module recorded it (BACKOFF_UNTIL), with the
      backoff= options of its stack line; for a file without that record it is
      computed with the default options, and marked as such. The last success
      is what the file keeps of it: LASTn entries (grace_period=), the newest
      used code (DISALLOW_REUSE) and KNOWN_HOSTS (notify=).
      """)

  @OptionGroup var target: TargetOptions

  @Flag(help: "Print one JSON object. Errors are JSON too.")
  var json = false

  func run() throws {
    try reportingErrors(json: json) {
      let target = try Target.resolve(target)
      let file = try target.readSecretFile()
      let status = UserStatus(user: target.user.nameText, path: target.path, file: file, now: System.now)
      if json { try JSONOutput.print(status.json()) } else { print(StatusText.text(status)) }
    }
  }
}

/// `status USER` as text.
enum StatusText {
  static func text(_ status: UserStatus) -> String {
    let file = status.file
    let now = status.now
    var lines = ["user:            \(status.user)", "secret file:     \(status.path)"]
    switch file.mode {
    case .totp:
      lines.append("type:            TOTP, every \(file.effectiveStepSize) s, clock skew \(file.timeSkew ?? 0) steps")
    case .hotp(let counter): lines.append("type:            HOTP, next counter \(counter)")
    case .scratchCodesOnly: lines.append("type:            no app (scratch codes\(file.delivery == nil ? "" : " and sent codes") only)")
    }
    lines.append("algorithm:       \(file.effectiveAlgorithm.name), \(file.effectiveDigits) digits")
    lines.append("window:          \(file.effectiveWindowSize) codes")
    lines.append("code reuse:      \(file.disallowsReuse ? "refused" : "allowed")")
    if let limit = file.rateLimit {
      lines.append("rate limit:      \(limit.attempts) per \(limit.interval) s (\(status.recentAttempts) recent)")
    } else {
      lines.append("rate limit:      none")
    }
    lines.append("scratch codes:   \(file.scratchCodes.count) left")
    if let delivery = file.delivery {
      var line = "codes sent to:   \(delivery.text)"
      if let sent = file.sentCode, sent.expires > now { line += " (a code sent at \(sent.sent) is valid until \(sent.expires))" }
      lines.append(line)
    }
    lines.append("last success:    \(lastSuccess(status.lastSuccess))")
    if let failures = file.failures {
      lines.append("wrong codes:     \(failures.count) in a row, the last at \(TimeText.local(failures.last))")
    } else {
      lines.append("wrong codes:     none since the last success")
    }
    if let backoff = status.backoff {
      let until = "until \(TimeText.local(backoff.time)) (in \(TimeText.duration(backoff.time - now)))"
      switch backoff {
      case .recorded:
        lines.append("back-off:        \(until), as the module recorded it; otpctl unlock ends it")
      case .estimated:
        lines.append("back-off:        \(until) with the default backoff= options; otpctl unlock ends it")
        lines.append("                 (estimated: the file has no BACKOFF_UNTIL, and the stack's options may differ)")
      }
    }
    return lines.joined(separator: "\n")
  }

  static func lastSuccess(_ last: LastSuccess?) -> String {
    guard let last else { return "not recorded in the file" }
    var text: String
    switch (last.time, last.timeSource) {
    case (let time?, .gracePeriod?): text = TimeText.local(time)
    case (let time?, _): text = "about \(TimeText.local(time)) (the newest used code)"
    default: text = "no time recorded"
    }
    if let host = last.hostText {
      if last.timeSource == .gracePeriod {
        text += " from \(host) (LAST entry of grace_period=)"
      } else {
        text += "; last remote host \(host) (\(last.hostSource == .knownHosts ? "KNOWN_HOSTS" : "LAST entry"))"
      }
    }
    return text
  }
}
