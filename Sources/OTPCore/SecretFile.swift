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

  /// The first token, kept in GA's layout (line 1 and GA's option lines),
  /// so that GA's module still reads the file.
  public internal(set) var primary: OTPToken { didSet { hasChanges = true } }
  /// Every further token, one `" TOKEN` line each (GA's module skips them).
  var others: [OTPToken] { didSet { hasChanges = true } }

  // The primary token's settings and state, where GA keeps them.
  public var secret: SensitiveBytes {
    get { primary.secret }
    set { primary.secret = newValue }
  }
  public var mode: Mode {
    get { primary.mode }
    set { primary.mode = newValue }
  }
  public var algorithm: HashAlgorithm? {
    get { primary.algorithm }
    set { primary.algorithm = newValue }
  }
  public var digits: Int? {
    get { primary.digits }
    set { primary.digits = newValue }
  }
  public var stepSize: Int? {
    get { primary.stepSize }
    set { primary.stepSize = newValue }
  }
  public var windowSize: Int? {
    get { primary.windowSize }
    set { primary.windowSize = newValue }
  }
  public var rateLimit: RateLimit? { didSet { hasChanges = true } }
  /// The primary token's used TOTP steps; nil means reuse is allowed.
  public var usedSteps: [Int64]? {
    get { primary.usedSteps }
    set { primary.usedSteps = newValue }
  }
  public var timeSkew: Int64? {
    get { primary.timeSkew }
    set { primary.timeSkew = newValue }
  }
  /// GA's skew detection: recent codes that matched far outside the window.
  public var skewObservations: [SkewObservation]? {
    get { primary.skewObservations }
    set { primary.skewObservations = newValue }
  }
  /// GA's `LAST0`...`LAST9`: when each remote host last logged in.
  public var lastLogins: [LastLogin] { didSet { hasChanges = true } }
  /// Wrong codes since the last success, for the back-off (extension line).
  public var failures: FailureCount? { didSet { hasChanges = true } }
  /// When the back-off that the module decided with its own `backoff=`
  /// options ends, written with the wrong code that started or extended it
  /// (extension line). Nil when the last wrong code called for no wait, or
  /// the wrong codes were cleared. A record for `otpctl status`: the module
  /// itself decides from `failures` and the options of its stack line.
  public var backoffUntil: Int64? { didSet { hasChanges = true } }
  /// The remote hosts this user logged in from, least recent first, for the
  /// `new-host` alert (extension line; kept only where `notify=` is set).
  /// Nil until the first one is recorded.
  public var knownHosts: [[UInt8]]? { didSet { hasChanges = true } }
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
    self.primary = OTPToken(
      name: OTPToken.defaultName, secret: secret, mode: mode, algorithm: algorithm, digits: digits,
      stepSize: stepSize, windowSize: windowSize, usedSteps: usedSteps)
    self.others = []
    self.rateLimit = rateLimit
    self.lastLogins = []
    self.failures = nil
    self.backoffUntil = nil
    self.knownHosts = nil
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
  /// The largest HOTP counter a file holds: 19 digits, the most the reader
  /// takes. A counter is written no higher, so counting must stop here.
  public static let maximumHOTPCounter: UInt64 = 9_999_999_999_999_999_999
  /// Unix times and TOTP steps as a file holds them: at most 12 digits, never
  /// negative. The writer clamps into this range: a time before 1970 (a
  /// clock that was reset) is written as 0.
  public static let timeRange: ClosedRange<Int64> = 0...999_999_999_999
  /// `TIME_SKEW`, in steps.
  public static let timeSkewRange: ClosedRange<Int64> = -1_000_000...1_000_000
  public static let scratchCodeRange: ClosedRange<UInt32> = 10_000_000...99_999_999
  public static let maximumScratchCodes = 100
  /// The remote hosts `KNOWN_HOSTS` keeps; the least recent goes first.
  public static let maximumKnownHosts = 10
  public static let minimumSecretBytes = 10  // 80 bits, RFC 4226's minimum

  // The primary token's effective settings.
  public var effectiveAlgorithm: HashAlgorithm { primary.effectiveAlgorithm }
  public var effectiveDigits: Int { primary.effectiveDigits }
  public var effectiveStepSize: Int { primary.effectiveStepSize }
  public var effectiveWindowSize: Int { primary.effectiveWindowSize }
  public var disallowsReuse: Bool { primary.disallowsReuse }

  public var generator: OneTimePassword { primary.generator }
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

  /// The counts a file holds; counting stops at the top.
  public static let countRange = 1...1_000_000

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

extension SecretFile {
  /// When the back-off that the module recorded ends, if it lies ahead of
  /// `now` and the wrong codes behind it were not cleared since: the wait
  /// the module decided with the `backoff=` options of the stack line that
  /// judged the last wrong code (`otpctl` cannot see those options). Nil
  /// also for a file written before the record existed.
  public func recordedBackoffEnd(at now: Int64) -> Int64? {
    guard let failures, failures.last <= now, let until = backoffUntil, until > now else { return nil }
    return until
  }
}
