/// Where codes are sent for users without an authenticator app (or as their
/// fallback): `" DELIVER email:ADDRESS` or `" DELIVER sms:+NUMBER`.
public struct DeliveryAddress: Equatable, Sendable {
  public enum Channel: Equatable, Sendable {
    case email, sms

    public var name: String {
      switch self {
      case .email: "email"
      case .sms: "sms"
      }
    }

    /// For prompts: "by e-mail", "by SMS".
    public var phrase: String {
      switch self {
      case .email: "by e-mail"
      case .sms: "by SMS"
      }
    }
  }

  public let channel: Channel
  /// The address as given, validated (bytes: it goes to argv, never a shell).
  public let address: [UInt8]

  /// Parses `email:alice@example.com` or `sms:+447700900789`. An address
  /// that could be read as a command-line option, or that holds spaces,
  /// quotes or control characters, is refused.
  public init?<Bytes: Collection<UInt8>>(parsing text: Bytes) {
    let bytes = Array(text)
    guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
    let scheme = ASCII.uppercased(bytes[..<colon])
    let address = Array(bytes[(colon + 1)...])
    switch scheme {
    case Array("EMAIL".utf8):
      guard Self.isEmailAddress(address) else { return nil }
      channel = .email
    case Array("SMS".utf8):
      guard Self.isPhoneNumber(address) else { return nil }
      channel = .sms
    default: return nil
    }
    self.address = address
  }

  /// `channel:address`, as the file stores it.
  public var text: String { channel.name + ":" + ASCII.string(address) }

  /// The address alone, in full (for the administrator, never for logs).
  public var addressText: String { ASCII.string(address) }

  /// The address with most of it hidden, for prompts and logs:
  /// `a***@example.com`, `+44*****789`: ASCII, which every terminal and log shows as it is.
  public var masked: String {
    switch channel {
    case .email:
      let at = address.lastIndex(of: UInt8(ascii: "@")) ?? address.endIndex
      let first = address.first.map { ASCII.string([$0]) } ?? ""
      return first + "***" + ASCII.string(address[at...])
    case .sms:
      // A fixed five stars: the number's length is not shown either.
      let digits = address.dropFirst()
      return "+" + ASCII.string(digits.prefix(2)) + "*****" + ASCII.string(digits.suffix(3))
    }
  }

  /// A plain address: `local@domain`, no spaces, quotes, angle brackets or
  /// control characters, not starting with `-`, at most 254 bytes.
  static func isEmailAddress(_ address: [UInt8]) -> Bool {
    guard (3...254).contains(address.count), address.first != UInt8(ascii: "-"),
      let at = address.lastIndex(of: UInt8(ascii: "@")), at > 0, at < address.count - 1,
      address.filter({ $0 == UInt8(ascii: "@") }).count == 1,
      address[(at + 1)...].contains(UInt8(ascii: "."))
    else { return false }
    let forbidden: [UInt8] = Array(" \"'<>()[],;:\\`$|&".utf8)
    return address.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }
  }

  /// E.164: `+` and 8 to 15 digits.
  static func isPhoneNumber(_ number: [UInt8]) -> Bool {
    guard number.first == UInt8(ascii: "+") else { return false }
    let digits = number.dropFirst()
    return (8...15).contains(digits.count) && digits.allSatisfy(ASCII.isDigit)
  }
}

/// The code that was last sent, as the file keeps it: never the code, only
/// a salted HMAC-SHA256 of it, with when it was sent and when it expires.
/// `" DELIVERY_CODE EXPIRES SENT SALT HASH` (salt and hash in hex).
public struct SentCode: Equatable, Sendable {
  public var expires: Int64
  public var sent: Int64
  public var salt: [UInt8]
  public var hash: [UInt8]

  public init(expires: Int64, sent: Int64, salt: [UInt8], hash: [UInt8]) {
    self.expires = expires
    self.sent = sent
    self.salt = salt
    self.hash = hash
  }

  public static let saltLength = 16

  /// A record of `code`, salted with `salt` (16 random bytes).
  public init(code: [UInt8], salt: [UInt8], sent: Int64, lifetime: Int64) {
    self.init(expires: sent + lifetime, sent: sent, salt: salt, hash: Self.digest(code, salt: salt))
  }

  /// Whether `answer` is the code, compared in constant time.
  public func matches(_ answer: [UInt8]) -> Bool {
    let candidate = Self.digest(answer, salt: salt)
    return candidate.withUnsafeBytes { lhs in
      hash.withUnsafeBytes { rhs in SensitiveBytes.constantTimeEqual(lhs, rhs) }
    }
  }

  static func digest(_ code: [UInt8], salt: [UInt8]) -> [UInt8] {
    let key = salt.withUnsafeBytes { HMACKey(key: $0, algorithm: .sha256) }
    var output = [UInt8](repeating: 0, count: 32)
    code.withUnsafeBytes { message in output.withUnsafeMutableBytes { key.authenticate(message, into: $0) } }
    return output
  }
}
