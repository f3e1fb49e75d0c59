/// The ways to read what the user typed.
///
/// A plain answer is one code; spaces and tabs are dropped because apps show
/// codes as "123 456". A combined answer (`forward_pass`, or a password from
/// an earlier module with `try_first_pass`) is a password followed by a
/// code: its last N digits (the configured length) or its last 8 (a scratch
/// code), with the rest as the password.
struct AnswerReadings {
  private let answer: SensitiveBytes
  let isCombined: Bool

  init(code answer: SensitiveBytes) {
    var digits = answer.copyBytes()
    digits.removeAll { $0 == ASCII.space || $0 == ASCII.tab }
    self.answer = SensitiveBytes(consuming: &digits)
    self.isCombined = false
  }

  init(combined answer: SensitiveBytes) {
    self.answer = answer
    self.isCombined = true
  }

  func candidates(for digits: Int) -> [[UInt8]] {
    let bytes = answer.copyBytes()
    guard isCombined else { return [bytes] }
    var readings: [[UInt8]] = []
    for length in [digits, 8] where bytes.count >= length {
      let suffix = Array(bytes.suffix(length))
      if !readings.contains(suffix) { readings.append(suffix) }
    }
    return readings
  }

  /// The part before a code of `codeLength` digits.
  func password(codeLength: Int) -> SensitiveBytes? {
    guard isCombined, answer.count >= codeLength else { return nil }
    var prefix = Array(answer.copyBytes().dropLast(codeLength))
    return SensitiveBytes(consuming: &prefix)
  }
}
