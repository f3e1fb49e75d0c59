import OTPCore

/// What a secret file says about its user at a moment, computed once for
/// every way `status` shows it (text, JSON, the table of `--all`,
/// Prometheus metrics). Only what the file holds: otpctl cannot see the
/// options of the stack lines that wrote it.
struct UserStatus {
  let user: String
  let path: String
  let file: SecretFile
  let now: Int64

  var kind: String {
    switch file.mode {
    case .totp: "totp"
    case .hotp: "hotp"
    case .scratchCodesOnly: "no-app"
    }
  }

  /// `TOTP SHA1 6/30s`, `HOTP SHA256 8`, `no app`: the token in a table
  /// cell; `+N` for a user's further tokens.
  var tokenSummary: String {
    let hash = "\(file.effectiveAlgorithm.name) \(file.effectiveDigits)"
    let more = file.tokens.count > 1 ? " +\(file.tokens.count - 1)" : ""
    switch file.mode {
    case .totp: return "TOTP \(hash)/\(file.effectiveStepSize)s" + more
    case .hotp: return "HOTP \(hash)" + more
    case .scratchCodesOnly: return "no app" + more
    }
  }

  /// Attempts the rate limit counts now.
  var recentAttempts: Int {
    guard let limit = file.rateLimit else { return 0 }
    return limit.times.filter { $0 > now - Int64(limit.interval) && $0 <= now }.count
  }

  var failures: Int { file.failures?.count ?? 0 }
  var backoff: BackoffEnd? { BackoffEnd(file: file, now: now) }
  var lastSuccess: LastSuccess? { LastSuccess(file: file) }

  /// The object of `status --json`, and each user's in `status --all
  /// --json`, where `masked` hides most of the delivery address, as the
  /// module's log lines do: a listing of everyone is shown and pasted more
  /// widely than one user's status.
  func json(masked: Bool = false) -> JSONValue {
    var object: [String: JSONValue] = [
      "user": .string(user), "secret_file": .string(path), "type": .string(kind),
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
    // The keys above describe the first token; a user with several also
    // gets every token (`token list --json` shows them for anyone).
    if file.tokens.count > 1 {
      object["tokens"] = .array(file.tokens.enumerated().map { TokenText.json($1, primary: $0 == 0) })
    }
    object["failures"] = .number(failures)
    object["last_failure"] = file.failures.map { .number($0.last) } ?? .null
    object["backoff_until"] = backoff.map { .number($0.time) } ?? .null
    object["backoff_source"] = backoff.map { .string($0.source) } ?? .null
    object["last_success"] = lastSuccess?.json ?? .null
    object["deliver"] = file.delivery.map { .string(masked ? $0.maskedText : $0.text) } ?? .null
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
}

/// When a user's back-off ends, and how otpctl knows it.
enum BackoffEnd: Equatable {
  /// `BACKOFF_UNTIL`: what the module decided with the `backoff=` options
  /// of the stack line that judged the last wrong code.
  case recorded(Int64)
  /// The file has wrong codes but no record (written before the module
  /// kept one): computed with the module's default options
  /// (`backoff=30 backoff_after=3`), which the stack may not use.
  case estimated(Int64)

  /// The back-off in force at `now`, if any. A record that has passed
  /// means the back-off is over; only a file without one is estimated.
  init?(file: SecretFile, now: Int64) {
    if let until = file.recordedBackoffEnd(at: now) {
      self = .recorded(until)
    } else if file.backoffUntil == nil, let until = Verifier(token: file).backoffEnd(at: now), until > now {
      self = .estimated(until)
    } else {
      return nil
    }
  }

  var time: Int64 {
    switch self {
    case .recorded(let time), .estimated(let time): time
    }
  }

  var isEstimate: Bool { if case .estimated = self { true } else { false } }

  /// As JSON names it.
  var source: String { isEstimate ? "default_options" : "recorded" }
}

/// The last successful login, as far as the file can tell. No line holds
/// it as such; three record parts of it:
/// - `LASTn host time` (written on lines with `grace_period=`): an exact
///   time, and the remote host;
/// - `DISALLOW_REUSE` (TOTP): the newest used code's time step, so the
///   time to within the window (the stored clock skew taken out);
/// - `KNOWN_HOSTS` (written on lines with `notify=`): the remote hosts of
///   successes, the most recent last, without times.
struct LastSuccess: Equatable {
  enum Source: String {
    case gracePeriod = "grace_period"
    case usedStep = "used_step"
    case knownHosts = "known_hosts"
  }

  var time: Int64?
  var timeSource: Source?
  /// The remote host of the latest success that recorded one.
  var host: [UInt8]?
  var hostSource: Source?

  init?(file: SecretFile) {
    let newestLogin = file.lastLogins.max { $0.time < $1.time }
    let codeTime = Self.usedCodeTime(file)
    // A LASTn entry and the used code of the same login lie within the
    // window of each other; the entry's time is the exact one.
    let slack = Int64(file.effectiveStepSize) * Int64(file.effectiveWindowSize + 1)
    if let login = newestLogin, codeTime.map({ login.time + slack >= $0 }) ?? true {
      (time, timeSource, host, hostSource) = (login.time, .gracePeriod, login.host, .gracePeriod)
      return
    }
    (time, timeSource) = (codeTime, codeTime == nil ? nil : .usedStep)
    if let known = file.knownHosts?.last {
      (host, hostSource) = (known, .knownHosts)
    } else if let login = newestLogin {
      (host, hostSource) = (login.host, .gracePeriod)
    }
    if time == nil && host == nil { return nil }
  }

  /// The start of the newest used TOTP step, in server time.
  static func usedCodeTime(_ file: SecretFile) -> Int64? {
    guard case .totp = file.mode, let step = file.usedSteps?.max() else { return nil }
    let (serverStep, overflow) = step.subtractingReportingOverflow(file.timeSkew ?? 0)
    guard !overflow, serverStep >= 0 else { return nil }
    let (time, tooLate) = serverStep.multipliedReportingOverflow(by: Int64(file.effectiveStepSize))
    return tooLate ? nil : time
  }

  var hostText: String? { host.map { ASCII.string($0) } }

  var json: JSONValue {
    .object([
      "time": time.map { .number($0) } ?? .null, "time_source": timeSource.map { .string($0.rawValue) } ?? .null,
      "host": hostText.map { .string($0) } ?? .null, "host_source": hostSource.map { .string($0.rawValue) } ?? .null,
    ])
  }
}

extension DeliveryAddress {
  /// `email:a***@example.com`: the channel, and the address as log lines
  /// show it.
  var maskedText: String { channel.name + ":" + masked }
}
