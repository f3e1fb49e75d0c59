import CCrypto
import PAMOTP

/// What the invariants need to know about a secret file, read with the
/// module's own public parser. This is the one file of the harness that
/// touches OTPCore's API: when the secret-file types change, only this
/// translation changes. Codes are computed here independently (RFC 4226
/// over libcrypto's one-shot HMAC), so the harness's answers do not come
/// from the code under test.
struct SecretFacts {
  enum Mode: Equatable {
    case totp
    case hotp(nextCounter: UInt64)
    case scratchCodesOnly
  }

  struct RateLimit {
    var attempts: Int
    var interval: Int64
    var times: [Int64]
  }

  var secret: [UInt8]
  var algorithm: String
  var digits: Int
  var stepSize: Int64
  var windowSize: Int64
  var timeSkew: Int64
  var mode: Mode
  /// DISALLOW_REUSE: nil when TOTP codes may be used again.
  var usedSteps: [Int64]?
  var scratchCodes: [UInt32]
  var rateLimit: RateLimit?
  var failures: (count: Int, last: Int64)?
  var lastLogins: [(host: [UInt8], time: Int64)]
  var hasDeliveryAddress: Bool
  var hasSentCode: Bool
  var deliveryTimes: [Int64]

  /// nil when the module's parser refuses the bytes.
  init?(parsing bytes: [UInt8]) {
    guard let file = bytes.withUnsafeBytes({ try? SecretFile(parsing: $0) }) else { return nil }
    secret = file.secret.copyBytes()
    algorithm = file.effectiveAlgorithm.name
    digits = file.effectiveDigits
    stepSize = Int64(file.effectiveStepSize)
    windowSize = Int64(file.effectiveWindowSize)
    timeSkew = file.timeSkew ?? 0
    switch file.mode {
    case .totp: mode = .totp
    case .hotp(let counter): mode = .hotp(nextCounter: counter)
    case .scratchCodesOnly: mode = .scratchCodesOnly
    }
    usedSteps = file.usedSteps
    scratchCodes = file.scratchCodes
    rateLimit = file.rateLimit.map { RateLimit(attempts: $0.attempts, interval: Int64($0.interval), times: $0.times) }
    failures = file.failures.map { ($0.count, $0.last) }
    lastLogins = file.lastLogins.map { ($0.host, $0.time) }
    hasDeliveryAddress = file.delivery != nil
    hasSentCode = file.sentCode != nil
    deliveryTimes = file.deliveryTimes ?? []
  }

  /// The TOTP code the user's app shows at `time`, `offset` steps on,
  /// with the file's skew; nil before step 0.
  func totp(at time: Int64, offset: Int64) -> [UInt8]? {
    let step = Self.floorDivide(time, max(stepSize, 1))
    let (counter, overflow) = step.addingReportingOverflow(timeSkew &+ offset)
    guard !overflow, counter >= 0 else { return nil }
    return hotp(counter: UInt64(counter))
  }

  /// The TOTP steps the module accepts a code from at `time`: WINDOW_SIZE
  /// steps around the current one plus the skew.
  func window(at time: Int64) -> ClosedRange<Int64>? {
    let center = Self.floorDivide(time, max(stepSize, 1)) &+ timeSkew
    let lower = center &- (windowSize - 1) / 2
    let upper = center &+ windowSize / 2
    return lower <= upper ? lower...upper : nil
  }

  /// The first step of the window at `time` whose code is one of
  /// `candidates` (the module tries only the first match).
  func firstTOTPStep(matching candidates: Set<[UInt8]>, at time: Int64) -> Int64? {
    guard mode == .totp, let window = window(at: time) else { return nil }
    return window.first { $0 >= 0 && candidates.contains(hotp(counter: UInt64($0))) }
  }

  /// The first counter of the HOTP window whose code is one of `candidates`.
  func firstHOTPCounter(matching candidates: Set<[UInt8]>) -> UInt64? {
    guard case .hotp(let counter) = mode else { return nil }
    let (last, overflow) = counter.addingReportingOverflow(UInt64(max(windowSize, 1)) - 1)
    return (counter...(overflow ? UInt64.max : last)).first { candidates.contains(hotp(counter: $0)) }
  }

  func hotp(counter: UInt64) -> [UInt8] {
    var message = [UInt8](repeating: 0, count: 8)
    for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
    var digest = [UInt8](repeating: 0, count: 64)
    var length: UInt32 = 0
    let hash: OpaquePointer? =
      switch algorithm {
      case "SHA256": EVP_sha256()
      case "SHA512": EVP_sha512()
      default: EVP_sha1()
      }
    _ = secret.withUnsafeBytes { key in
      HMAC(hash, key.baseAddress, Int32(key.count), message, message.count, &digest, &length)
    }
    let offset = Int(digest[Int(length) - 1] & 0x0F)
    let binary =
      (UInt32(digest[offset] & 0x7F) << 24) | (UInt32(digest[offset + 1]) << 16)
      | (UInt32(digest[offset + 2]) << 8) | UInt32(digest[offset + 3])
    var modulus: UInt32 = 1
    for _ in 0..<digits { modulus *= 10 }
    return Self.decimal(UInt64(binary % modulus), width: digits)
  }

  static func decimal(_ value: UInt64, width: Int) -> [UInt8] {
    var digits: [UInt8] = []
    var rest = value
    repeat {
      digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    while digits.count < width { digits.append(UInt8(ascii: "0")) }
    return digits.reversed()
  }

  static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return value % divisor < 0 ? quotient - 1 : quotient
  }
}
