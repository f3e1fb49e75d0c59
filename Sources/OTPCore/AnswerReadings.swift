/// The ways to read what the user typed.
///
/// A plain answer is one code; spaces and tabs are dropped because apps show
/// codes as "123 456". A combined answer (`forward_pass`, or a password from
/// an earlier module with `try_first_pass`) is a password followed by a
/// code: its last N digits (the configured length) or its last 8 (a scratch
/// code), with the rest as the password. Every copy made here is wiped.
public struct AnswerReadings {
  private let answer: SensitiveBytes
  public let isCombined: Bool

  public init(code answer: SensitiveBytes) {
    var digits: [UInt8] = []
    digits.reserveCapacity(answer.count)
    answer.withUnsafeBytes { bytes in
      for byte in bytes where byte != ASCII.space && byte != ASCII.tab { digits.append(byte) }
    }
    self.answer = SensitiveBytes(consuming: &digits)
    self.isCombined = false
  }

  public init(combined answer: SensitiveBytes) {
    self.answer = answer
    self.isCombined = true
  }

  /// Whether nothing was typed (a request for a code by e-mail or SMS).
  public var isEmpty: Bool { answer.isEmpty }

  /// Each reading, for as long as `body` runs; then wiped.
  public func withCandidates<Result>(digits: Int, _ body: ([[UInt8]]) -> Result) -> Result {
    withCandidates(lengths: [digits, 8], body)
  }

  /// Each reading, where a combined answer may end in a code of any of
  /// `lengths` (the user's tokens may have different lengths).
  public func withCandidates<Result>(lengths: [Int], _ body: ([[UInt8]]) -> Result) -> Result {
    var readings: [[UInt8]] = []
    answer.withUnsafeBytes { bytes in
      guard isCombined else {
        readings.append(Array(bytes))
        return
      }
      for length in lengths where bytes.count >= length {
        let suffix = Array(bytes[(bytes.count - length)...])
        if readings.contains(suffix) {
          var duplicate = suffix
          SensitiveBytes.wipe(&duplicate)
        } else {
          readings.append(suffix)
        }
      }
    }
    defer {
      for index in readings.indices { SensitiveBytes.wipe(&readings[index]) }
    }
    return body(readings)
  }

  /// The part before a code of `codeLength` digits.
  public func password(codeLength: Int) -> SensitiveBytes? {
    guard isCombined, answer.count >= codeLength else { return nil }
    return answer.withUnsafeBytes { bytes in
      SensitiveBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - codeLength)]))
    }
  }
}
