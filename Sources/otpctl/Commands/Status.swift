import ArgumentParser
import OTPCore

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show how a user is enrolled (never the secret).")

  @OptionGroup var target: TargetOptions

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    try reportingErrors(json: json) {
      let target = try Target.resolve(target)
      let file = try target.readSecretFile()
      let now = System.now
      let report = StatusReport(user: target.user.nameText, path: target.path, file: file, now: now)
      if json { try JSONOutput.print(report.json) } else { print(report.text) }
    }
  }
}

/// What `status` shows, computed once for both formats.
struct StatusReport {
  let user: String
  let path: String
  let file: SecretFile
  let now: Int64

  var type: String {
    switch file.mode {
    case .totp: "totp"
    case .hotp: "hotp"
    case .scratchCodesOnly: "no-app"
    }
  }

  var recentAttempts: Int {
    guard let limit = file.rateLimit else { return 0 }
    return limit.times.filter { $0 > now - Int64(limit.interval) && $0 <= now }.count
  }

  var json: JSONValue {
    var object: [String: JSONValue] = [
      "user": .string(user), "secret_file": .string(path), "type": .string(type),
      "algorithm": .string(file.effectiveAlgorithm.name), "digits": .number(file.effectiveDigits),
      "window": .number(file.effectiveWindowSize), "disallow_reuse": .bool(file.disallowsReuse),
      "scratch_codes_left": .number(file.scratchCodes.count),
    ]
    switch file.mode {
    case .totp:
      object["period"] = .number(file.effectiveStepSize)
      object["time_skew"] = .number(file.timeSkew ?? 0)
    case .hotp(let counter): object["counter"] = .number(counter)
    case .scratchCodesOnly: break
    }
    object["failures"] = .number(file.failures?.count ?? 0)
    object["deliver"] = file.delivery.map { .string($0.text) } ?? .null
    if let until = Verifier(token: file).backoffEnd(at: now), until > now { object["backoff_until"] = .number(until) }
    if let limit = file.rateLimit {
      object["rate_limit"] = .object([
        "attempts": .number(limit.attempts), "seconds": .number(limit.interval),
        "recent_attempts": .number(recentAttempts),
      ])
    } else {
      object["rate_limit"] = .null
    }
    return .object(object)
  }

  var text: String {
    var lines = ["user:            \(user)", "secret file:     \(path)"]
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
      lines.append("rate limit:      \(limit.attempts) per \(limit.interval) s (\(recentAttempts) recent)")
    } else {
      lines.append("rate limit:      none")
    }
    lines.append("scratch codes:   \(file.scratchCodes.count) left")
    if let delivery = file.delivery {
      var line = "codes sent to:   \(delivery.text)"
      if let sent = file.sentCode, sent.expires > now { line += " (a code sent at \(sent.sent) is valid until \(sent.expires))" }
      lines.append(line)
    }
    if let failures = file.failures {
      var line = "wrong codes:     \(failures.count) in a row"
      if let until = Verifier(token: file).backoffEnd(at: now), until > now {
        line += "; next attempt in \(until - now) s with the default back-off (otpctl unlock clears it)"
      }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }
}
