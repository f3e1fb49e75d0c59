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
  /// What the plan should say about this token (an ignored password).
  var notes: [String] = []
  /// Which importer found it: what a token without a NAME is called.
  var origin: Origin

  enum Origin {
    case ga
    case oath
    case pskc(serial: String)
  }

  /// The names a token without a NAME takes, the first one free in the
  /// user's file: `ga`, `ga-2`...; `oath-1`, `oath-2`... (a usersfile names
  /// no tokens, and a line number changes when the file is edited); the
  /// serial number (`987654321`, `987654321-2`...) or, when that is no
  /// valid name, `pskc-1`...
  func nameCandidates() -> some Sequence<String> {
    let stem: String
    let numbered: Bool
    switch origin {
    case .ga: (stem, numbered) = ("ga", false)
    case .oath: (stem, numbered) = ("oath", true)
    case .pskc(let serial):
      // Room for a `-NN` suffix within the longest name.
      if OTPToken.isValidName(serial) && serial.utf8.count <= OTPToken.maximumNameLength - 3 {
        (stem, numbered) = (serial, false)
      } else {
        (stem, numbered) = ("pskc", true)
      }
    }
    return (1...OTPToken.maximumCount + 1).lazy.map { number in
      numbered || number > 1 ? "\(stem)-\(number)" : stem
    }
  }

  /// The secret file for a user who gets this one token (the primary, named
  /// "default" until the plan names it). A GA file is kept
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
        secret: secret, mode: .hotp(nextCounter: nextCounter), algorithm: algorithm == .sha1 ? nil : algorithm,
        digits: digits == 6 ? nil : digits, windowSize: SecretFile.defaultWindowSize,
        rateLimit: RateLimit(attempts: 3, interval: 30))
    }
  }

  /// The token as a further token of a user's file, state and all (a GA
  /// file's used steps, skew and counter come with its primary token).
  func token(named name: String) -> OTPToken {
    if var token = gaFile?.primary {
      token.name = name
      return token
    }
    let algorithm = algorithm == .sha1 ? nil : algorithm
    let digits = digits == 6 ? nil : digits
    switch kind {
    case .totp(let step, let lastUsedStep):
      return OTPToken(
        name: name, secret: secret, mode: .totp, algorithm: algorithm, digits: digits,
        stepSize: step == SecretFile.defaultStepSize ? nil : step, windowSize: SecretFile.defaultWindowSize,
        usedSteps: lastUsedStep.map { [$0] } ?? [])
    case .hotp(let nextCounter):
      return OTPToken(
        name: name, secret: secret, mode: .hotp(nextCounter: nextCounter), algorithm: algorithm, digits: digits,
        windowSize: SecretFile.defaultWindowSize)
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
    return parts.joined(separator: ", ")
  }
}
