/// A user's secret file: GA's `~/.google_authenticator` format plus the
/// `DIGITS` and `ALGORITHM` lines of the hardened fork.
///
///     JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP          secret (Base32)
///     " RATE_LIMIT 3 30 1700000000              attempts, seconds, attempt times
///     " WINDOW_SIZE 3
///     " STEP_SIZE 30
///     " DISALLOW_REUSE 56666666                 used TOTP steps
///     " TOTP_AUTH                               (or " HOTP_COUNTER 1)
///     " DIGITS 8
///     " ALGORITHM SHA256
///     12345678                                  scratch codes
///
/// Configuration and state live together; the state is rewritten under a
/// lock after every attempt that changes it. Unset options keep GA's
/// defaults, and an option that was absent stays absent when the file is
/// written back, so files stay byte-for-byte what GA would write.
public struct SecretFile {
  public enum Mode: Equatable, Sendable {
    case totp
    /// The next counter value to accept (GA starts at 1).
    case hotp(nextCounter: UInt64)
    /// Neither TOTP_AUTH nor HOTP_COUNTER: GA accepts scratch codes only.
    case scratchCodesOnly
  }

  public var secret: SensitiveBytes { didSet { hasChanges = true } }
  public var mode: Mode { didSet { hasChanges = true } }
  public var algorithm: HashAlgorithm? { didSet { hasChanges = true } }
  public var digits: Int? { didSet { hasChanges = true } }
  public var stepSize: Int? { didSet { hasChanges = true } }
  public var windowSize: Int? { didSet { hasChanges = true } }
  public var rateLimit: RateLimit? { didSet { hasChanges = true } }
  /// Used TOTP steps; nil means reuse is allowed.
  public var usedSteps: [Int64]? { didSet { hasChanges = true } }
  public var timeSkew: Int64? { didSet { hasChanges = true } }
  /// GA's skew detection: recent codes that matched far outside the window.
  public var skewObservations: [SkewObservation]? { didSet { hasChanges = true } }
  /// GA's `LAST0`...`LAST9`: when each remote host last logged in.
  public var lastLogins: [LastLogin] { didSet { hasChanges = true } }
  /// Wrong codes since the last success, for the back-off (extension line).
  public var failures: FailureCount? { didSet { hasChanges = true } }
  /// Where codes are sent, for users without an app or as their fallback.
  public var delivery: DeliveryAddress? { didSet { hasChanges = true } }
  /// The last code sent (its salted hash), until used, replaced or expired.
  public var sentCode: SentCode? { didSet { hasChanges = true } }
  /// When codes were sent, for `max_sends`.
  public var deliveryTimes: [Int64]? { didSet { hasChanges = true } }
  public var scratchCodes: [UInt32] { didSet { hasChanges = true } }

  /// The order in which option lines appeared, so that a rewrite keeps it.
  var lineOrder: [OptionKey]

  /// Whether anything was changed since the file was read: the store
  /// writes only then.
  public internal(set) var hasChanges = false

  public init(
    secret: SensitiveBytes, mode: Mode, algorithm: HashAlgorithm? = nil, digits: Int? = nil,
    stepSize: Int? = nil, windowSize: Int? = nil, rateLimit: RateLimit? = nil,
    usedSteps: [Int64]? = nil, scratchCodes: [UInt32] = []
  ) {
    self.secret = secret
    self.mode = mode
    self.algorithm = algorithm
    self.digits = digits
    self.stepSize = stepSize
    self.windowSize = windowSize
    self.rateLimit = rateLimit
    self.usedSteps = usedSteps
    self.timeSkew = nil
    self.skewObservations = nil
    self.lastLogins = []
    self.failures = nil
    self.delivery = nil
    self.sentCode = nil
    self.deliveryTimes = nil
    self.scratchCodes = scratchCodes
    // A new file takes the order the google-authenticator CLI writes.
    self.lineOrder = OptionKey.enrolmentOrder
  }

  // Effective settings, with GA's defaults.
  public static let defaultWindowSize = 3
  public static let defaultStepSize = 30
  public static let windowSizeRange = 1...100
  public static let scratchCodeRange: ClosedRange<UInt32> = 10_000_000...99_999_999
  public static let maximumScratchCodes = 100
  public static let minimumSecretBytes = 10  // 80 bits, RFC 4226's minimum

  public var effectiveAlgorithm: HashAlgorithm { algorithm ?? .sha1 }
  public var effectiveDigits: Int { digits ?? 6 }
  public var effectiveStepSize: Int { stepSize ?? Self.defaultStepSize }
  public var effectiveWindowSize: Int { windowSize ?? Self.defaultWindowSize }
  public var disallowsReuse: Bool { usedSteps != nil }

  public var generator: OneTimePassword {
    OneTimePassword(key: secret, algorithm: effectiveAlgorithm, digits: effectiveDigits)
  }
}

/// `" RATE_LIMIT n m t1 t2 ...`: at most `attempts` attempts in any
/// `interval` seconds; `times` are the recent attempts.
public struct RateLimit: Equatable, Sendable {
  public var attempts: Int
  public var interval: Int
  public var times: [Int64]

  public static let attemptsRange = 1...100
  public static let intervalRange = 1...3600

  public init(attempts: Int, interval: Int, times: [Int64] = []) {
    self.attempts = attempts
    self.interval = interval
    self.times = times
  }
}

/// `" FAILURES n t`: n wrong codes in a row, the last at time t.
public struct FailureCount: Equatable, Sendable {
  public var count: Int
  public var last: Int64

  public init(count: Int, last: Int64) {
    self.count = count
    self.last = last
  }
}

/// One entry of `" RESETTING_TIME_SKEW step+skew ...`.
public struct SkewObservation: Equatable, Sendable {
  public var step: Int64
  public var skew: Int64

  public init(step: Int64, skew: Int64) {
    self.step = step
    self.skew = skew
  }
}

/// One `" LASTn host time` line, for `grace_period`.
public struct LastLogin: Equatable, Sendable {
  public var slot: Int
  public var host: [UInt8]
  public var time: Int64

  public init(slot: Int, host: [UInt8], time: Int64) {
    self.slot = slot
    self.host = host
    self.time = time
  }

  public static let slots = 0...9
}

/// The keys of option lines. Matched case-sensitively, as GA does.
public enum OptionKey: Equatable, Sendable {
  case rateLimit, windowSize, stepSize, disallowReuse, totpAuth, hotpCounter
  case timeSkew, resettingTimeSkew, last(Int), digits, algorithm, failures
  case deliver, deliveryCode, deliveries

  /// The order the google-authenticator CLI writes, then the extensions.
  static let enrolmentOrder: [OptionKey] = [
    .rateLimit, .windowSize, .stepSize, .disallowReuse, .totpAuth, .hotpCounter, .digits, .algorithm, .deliver,
  ]

  public var name: String {
    switch self {
    case .rateLimit: "RATE_LIMIT"
    case .windowSize: "WINDOW_SIZE"
    case .stepSize: "STEP_SIZE"
    case .disallowReuse: "DISALLOW_REUSE"
    case .totpAuth: "TOTP_AUTH"
    case .hotpCounter: "HOTP_COUNTER"
    case .timeSkew: "TIME_SKEW"
    case .resettingTimeSkew: "RESETTING_TIME_SKEW"
    case .last(let slot): "LAST\(slot)"
    case .digits: "DIGITS"
    case .algorithm: "ALGORITHM"
    case .failures: "FAILURES"
    case .deliver: "DELIVER"
    case .deliveryCode: "DELIVERY_CODE"
    case .deliveries: "DELIVERIES"
    }
  }

  /// What a valid value looks like, for error messages.
  var expectedValue: String {
    switch self {
    case .rateLimit: "ATTEMPTS SECONDS [TIME...] with attempts 1-100 and seconds 1-3600"
    case .windowSize: "a window of 1 to 100 codes"
    case .stepSize: "a step of 1 to 300 seconds"
    case .disallowReuse: "a list of used time steps"
    case .totpAuth: "no value"
    case .hotpCounter: "a counter of at least 1"
    case .timeSkew: "a skew in steps, between -1000000 and 1000000"
    case .resettingTimeSkew: "a list of STEP+SKEW or STEP-SKEW pairs"
    case .last: "HOST TIME"
    case .digits: "6, 7 or 8"
    case .algorithm: "SHA1, SHA256 or SHA512"
    case .failures: "COUNT TIME"
    case .deliver: "email:ADDRESS or sms:+NUMBER"
    case .deliveryCode: "EXPIRES SENT SALT HASH"
    case .deliveries: "a list of times"
    }
  }

  static let fixedKeys: [OptionKey] = [
    .rateLimit, .windowSize, .stepSize, .disallowReuse, .totpAuth, .hotpCounter, .timeSkew,
    .resettingTimeSkew, .digits, .algorithm, .failures, .deliver, .deliveryCode, .deliveries,
  ]

  /// The keys' names as bytes, built once: parsing compares every option
  /// line against them.
  static let fixedKeyNames: [(key: OptionKey, name: [UInt8])] = fixedKeys.map { ($0, Array($0.name.utf8)) }

  init?(name: ArraySlice<UInt8>) {
    for entry in Self.fixedKeyNames where entry.name.count == name.count && entry.name.elementsEqual(name) {
      self = entry.key
      return
    }
    let prefix = Array("LAST".utf8)
    if name.count == 5, Array(name.prefix(4)) == prefix, let last = name.last, ASCII.isDigit(last) {
      self = .last(Int(last - ASCII.zero))
      return
    }
    return nil
  }
}
