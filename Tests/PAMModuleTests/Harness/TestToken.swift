import Foundation
import OTPCore

/// A secret file's contents and the codes it accepts, computed with the
/// project's own OTP math (OTPCore). Each token has a fresh random secret,
/// so no two tests share codes.
struct TestToken {
  let secret: [UInt8]
  var algorithm: HashAlgorithm = .sha1
  var digits = 6
  /// `" STEP_SIZE"`; nil writes no line (GA's default 30).
  var stepSize: Int? = nil
  var windowSize: Int? = nil
  /// Extra option lines, without the leading `" `, e.g. `"RATE_LIMIT 3 30"`.
  var options: [String] = []
  var scratchCodes: [UInt32] = []
  /// TOTP, or HOTP starting at this counter.
  var hotpCounter: UInt64? = nil

  init(secret: [UInt8] = TestToken.randomSecret()) {
    self.secret = secret
  }

  static func randomSecret() -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
  }

  var base32: String { Base32.encodeString(secret) }
  var period: Int { stepSize ?? 30 }

  /// The file in GA's format.
  var fileText: String {
    var lines = [base32]
    lines += options.map { "\" \($0)" }
    if let windowSize { lines.append("\" WINDOW_SIZE \(windowSize)") }
    if let stepSize { lines.append("\" STEP_SIZE \(stepSize)") }
    if let hotpCounter { lines.append("\" HOTP_COUNTER \(hotpCounter)") } else { lines.append("\" TOTP_AUTH") }
    if digits != 6 { lines.append("\" DIGITS \(digits)") }
    if algorithm != .sha1 { lines.append("\" ALGORITHM \(algorithm.name)") }
    lines += scratchCodes.map { String(format: "%08u", $0) }
    return lines.joined(separator: "\n") + "\n"
  }

  private var generator: OneTimePassword {
    OneTimePassword(key: SensitiveBytes(secret), algorithm: algorithm, digits: digits)
  }

  func code(counter: UInt64) -> String { generator.code(counter: counter).text }

  func step(at time: Int64) -> Int64 { OneTimePassword.timeStep(at: time, period: period) }

  /// The TOTP code for `offset` steps from the one containing `time`.
  func code(at time: Int64, stepOffset: Int64 = 0) -> String {
    code(counter: UInt64(step(at: time) + stepOffset))
  }

  /// A well-formed code that matches none of `counters` (changing the last
  /// digit until it does not), so "wrong code" tests cannot pass by chance.
  func wrongCode(avoiding counters: ClosedRange<Int64>) -> String {
    let valid = Set(counters.map { code(counter: UInt64(max($0, 0))) })
    var candidate = Array(code(counter: UInt64(max(counters.lowerBound, 0))))
    repeat {
      let last = candidate[candidate.count - 1].wholeNumberValue ?? 0
      candidate[candidate.count - 1] = Character(String((last + 1) % 10))
    } while valid.contains(String(candidate))
    return String(candidate)
  }
}
