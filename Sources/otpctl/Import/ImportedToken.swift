import OTPCore

/// One token as an importer found it, before anything is written: what
/// every source (a GA home file, a pam_oath usersfile line, a PSKC key)
/// comes down to.
struct ImportedToken {
  enum Kind: Equatable {
    /// TOTP with this step in seconds; `lastUsedStep`, when known, is the
    /// step of the last code the old system accepted, so it stays refused.
    case totp(step: Int, lastUsedStep: Int64?)
    /// HOTP; the next counter value to accept.
    case hotp(nextCounter: UInt64)
  }

  /// The account name, as the source gives it.
  var user: String
  /// The token's name (from `--assign SERIAL=USER:NAME`), for when a user
  /// holds several.
  var name: String?
  /// Where it came from, as the plan shows it: `line 3`, `serial 987654321`.
  var source: String
  var kind: Kind
  var secret: SensitiveBytes
  var algorithm: HashAlgorithm
  var digits: Int
  /// For GA: the whole file, state and all (used steps, counter, skew,
  /// scratch codes, rate-limit times), moved as it is.
  var gaFile: SecretFile?
  /// What the plan should say about this token (an ignored password, a
  /// counter that had to move).
  var notes: [String] = []

  /// The secret file for a user who gets this one token. A GA file is kept
  /// as it is; the others get enrol's defaults for what the source does
  /// not say (a window of 3, at most 3 attempts per 30 s, no scratch codes:
  /// no one would see them).
  func secretFile() -> SecretFile {
    if let gaFile { return gaFile }
    switch kind {
    case .totp(let step, let lastUsedStep):
      return SecretFile(
        secret: secret, mode: .totp, algorithm: algorithm == .sha1 ? nil : algorithm, digits: digits == 6 ? nil : digits,
        stepSize: step == SecretFile.defaultStepSize ? nil : step, windowSize: SecretFile.defaultWindowSize,
        rateLimit: RateLimit(attempts: 3, interval: 30), usedSteps: lastUsedStep.map { [$0] } ?? [])
    case .hotp(let nextCounter):
      return SecretFile(
        secret: secret, mode: .hotp(nextCounter: max(nextCounter, 1)), algorithm: algorithm == .sha1 ? nil : algorithm,
        digits: digits == 6 ? nil : digits, windowSize: SecretFile.defaultWindowSize,
        rateLimit: RateLimit(attempts: 3, interval: 30))
    }
  }

  /// The plan's short description; never the secret.
  var summary: String {
    var parts: [String] = []
    switch kind {
    case .totp(let step, let lastUsedStep):
      parts.append("TOTP every \(step) s")
      if lastUsedStep != nil { parts.append("last used code kept refused") }
    case .hotp(let nextCounter): parts.append("HOTP, next counter \(nextCounter)")
    }
    parts.append("\(algorithm.name), \(digits) digits")
    if let name { parts.append("token \(name)") }
    return parts.joined(separator: ", ")
  }
}
