/// One device of a user (an app, a hardware token): its own secret, its own
/// settings and its own replay state. A user's rate limit, back-off and
/// scratch codes are not here: they belong to the `SecretFile`, so that
/// more tokens never mean more guesses.
///
/// The first token of a file (the primary) is stored in GA's layout; every
/// further one is a `" TOKEN` line that GA's module ignores.
public struct OTPToken {
  public var name: String
  public var secret: SensitiveBytes
  public var mode: SecretFile.Mode
  public var algorithm: HashAlgorithm?
  public var digits: Int?
  public var stepSize: Int?
  public var windowSize: Int?
  /// Used TOTP steps; nil means reuse is allowed.
  public var usedSteps: [Int64]?
  public var timeSkew: Int64?
  /// GA's skew detection: recent codes that matched far outside the window.
  public var skewObservations: [SkewObservation]?
  /// When a code of this token last logged in. Recorded with the state a
  /// login writes anyway: it never causes a write by itself.
  public var lastUsed: Int64?
  /// False until a code from the token confirmed it (`otpctl token add
  /// --confirm`): an inactive token logs no one in.
  public var isActive: Bool

  public init(
    name: String, secret: SensitiveBytes, mode: SecretFile.Mode, algorithm: HashAlgorithm? = nil,
    digits: Int? = nil, stepSize: Int? = nil, windowSize: Int? = nil, usedSteps: [Int64]? = nil,
    timeSkew: Int64? = nil, lastUsed: Int64? = nil, isActive: Bool = true
  ) {
    self.name = name
    self.secret = secret
    self.mode = mode
    self.algorithm = algorithm
    self.digits = digits
    self.stepSize = stepSize
    self.windowSize = windowSize
    self.usedSteps = usedSteps
    self.timeSkew = timeSkew
    self.skewObservations = nil
    self.lastUsed = lastUsed
    self.isActive = isActive
  }

  /// The name of a primary token that has no `TOKEN_NAME` line (every file
  /// written before tokens had names, and every GA file).
  public static let defaultName = "default"
  /// At most this many tokens per user, the primary included: each answer
  /// is checked against every token's window.
  public static let maximumCount = 16
  public static let maximumNameLength = 32

  /// 1 to 32 of `a-z A-Z 0-9 . _ -`, starting with a letter or digit: safe
  /// in a file line, a log field and a command line.
  public static func isValidName<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
    guard let first = name.first, name.count <= maximumNameLength, isAlphanumeric(first) else { return false }
    return name.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
  }

  public static func isValidName(_ name: String) -> Bool { isValidName(Array(name.utf8)) }

  /// Names compare as bytes (they are ASCII), which also keeps Unicode
  /// normalisation out of the module.
  public static func sameName(_ lhs: String, _ rhs: String) -> Bool { lhs.utf8.elementsEqual(rhs.utf8) }

  public func isNamed(_ other: String) -> Bool { Self.sameName(name, other) }

  private static func isAlphanumeric(_ byte: UInt8) -> Bool {
    ASCII.isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
      || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
  }

  public var effectiveAlgorithm: HashAlgorithm { algorithm ?? .sha1 }
  public var effectiveDigits: Int { digits ?? 6 }
  public var effectiveStepSize: Int { stepSize ?? SecretFile.defaultStepSize }
  public var effectiveWindowSize: Int { windowSize ?? SecretFile.defaultWindowSize }
  public var disallowsReuse: Bool { usedSteps != nil }

  /// Whether codes of this token can log in at all.
  public var acceptsCodes: Bool { isActive && mode != .scratchCodesOnly }

  public var generator: OneTimePassword {
    OneTimePassword(key: secret, algorithm: effectiveAlgorithm, digits: effectiveDigits)
  }

  public var kindName: String {
    switch mode {
    case .totp: "TOTP"
    case .hotp: "HOTP"
    case .scratchCodesOnly: "none"
    }
  }
}
