import CCrypto

/// HOTP (RFC 4226) over any of the three hashes, and TOTP (RFC 6238) as HOTP
/// of a time step. Time and counter are parameters: nothing here reads a clock.
public struct OneTimePassword {
  public static let digitRange = 6...8
  public static let periodRange = 1...300

  public let algorithm: HashAlgorithm
  public let digits: Int
  private let hmac: HMACKey

  /// `digits` outside 6...8 is clamped: callers validate before they get here,
  /// and no input may reach a trap inside sshd.
  public init(key: SensitiveBytes, algorithm: HashAlgorithm, digits: Int) {
    self.algorithm = algorithm
    self.digits = min(max(digits, Self.digitRange.lowerBound), Self.digitRange.upperBound)
    self.hmac = key.withUnsafeBytes { HMACKey(key: $0, algorithm: algorithm) }
  }

  /// The code for one counter value (RFC 4226 section 5.3, dynamic truncation).
  public func code(counter: UInt64) -> OneTimeCode {
    var message = [UInt8](repeating: 0, count: 8)
    for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
    var digest = [UInt8](repeating: 0, count: 64)
    defer { SensitiveBytes.wipe(&digest) }
    message.withUnsafeBytes { messageBytes in
      digest.withUnsafeMutableBytes { output in hmac.authenticate(messageBytes, into: output) }
    }
    let offset = Int(digest[algorithm.digestLength - 1] & 0x0F)
    let binary =
      (UInt32(digest[offset] & 0x7F) << 24) | (UInt32(digest[offset + 1]) << 16)
      | (UInt32(digest[offset + 2]) << 8) | UInt32(digest[offset + 3])
    return OneTimeCode(value: binary % Self.modulus(digits), digits: digits)
  }

  /// The TOTP time step that contains `unixTime` (RFC 6238 section 4.2, T0 = 0).
  public static func timeStep(at unixTime: Int64, period: Int) -> Int64 {
    let period = Int64(max(period, 1))
    // Floor division, so a time before 1970 never rounds towards step 0;
    // quotient and remainder cannot overflow for any time, Int64.min included.
    let (quotient, remainder) = unixTime.quotientAndRemainder(dividingBy: period)
    return remainder < 0 ? quotient - 1 : quotient
  }

  /// The first counter in `counters` whose code equals `answer`, or nil.
  /// Every candidate is computed and compared in constant time, so the time
  /// taken does not tell where in the window a code matched.
  public func firstMatch(of answer: [UInt8], in counters: ClosedRange<UInt64>) -> UInt64? {
    guard answer.count == digits else { return nil }
    var match: UInt64? = nil
    for counter in counters {
      let candidate = code(counter: counter)
      if candidate.matches(answer) && match == nil { match = counter }
    }
    return match
  }

  static func modulus(_ digits: Int) -> UInt32 {
    var modulus: UInt32 = 1
    for _ in 0..<digits { modulus *= 10 }
    return modulus
  }
}

/// One generated code, kept as a number and written with leading zeros.
public struct OneTimeCode: Equatable, Sendable {
  public let value: UInt32
  public let digits: Int

  public init(value: UInt32, digits: Int) {
    self.value = value
    self.digits = digits
  }

  /// The code as the user types it, e.g. `"007295"`.
  public var text: String {
    var digits = bytes
    defer { SensitiveBytes.wipe(&digits) }
    return ASCII.string(digits)
  }

  public var bytes: [UInt8] { Decimal.format(UInt64(value), width: digits) }

  /// Constant-time comparison with a typed answer of digits. The expected
  /// digits are written into a stack buffer that is wiped afterwards.
  public func matches(_ answer: [UInt8]) -> Bool {
    guard answer.count == digits else { return false }
    return withUnsafeTemporaryAllocation(byteCount: max(digits, 1), alignment: 1) { expected in
      var index = 0
      Decimal.forEachDigit(of: UInt64(value), width: digits) { digit in
        if index < expected.count { expected[index] = digit }
        index += 1
      }
      // A value with more digits than `digits` matches no answer.
      let equal = answer.withUnsafeBytes { typed in
        SensitiveBytes.constantTimeEqual(UnsafeRawBufferPointer(expected), typed)
      } && index == expected.count
      ccrypto_cleanse(expected.baseAddress, expected.count)
      return equal
    }
  }
}
