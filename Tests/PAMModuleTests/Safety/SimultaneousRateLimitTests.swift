import Foundation
import OTPCore
import Testing

extension SyslogTests.SimultaneousLoginTests {
  /// `RATE_LIMIT 5 30` with reuse allowed: of 64 right codes at once,
  /// exactly 5 get in. The refused ones were right, so they do not count
  /// towards the back-off after wrong codes (left at its default here).
  /// Odd rounds start with 400 ms of a second left and end within it; even
  /// rounds start 15 ms before the tick, so the attempts are recorded at two
  /// different times (the limit counts any 30 seconds, so still 5).
  @Test func rateLimitHoldsExactly() throws {
    let sink = try SyslogSink()
    defer { sink.close() }
    for round in 1...Self.rounds / 2 {
      let acrossASecondBoundary = round.isMultiple(of: 2)
      let secrets = try SecretDirectory()
      var token = TestToken()
      token.options = ["RATE_LIMIT 5 30"]
      try secrets.enrol("nobody", token)
      // Margin for the wait for the tick below: the code stays current.
      let code = token.code(at: TOTPClock.freshStep(period: token.period, margin: 5))
      let sessions = try SimultaneousLogins.prepare(
        .otp([secrets.option]), user: "nobody", answers: Array(repeating: code, count: Self.threads))
      if acrossASecondBoundary {
        SecondBoundary.waitUntil(millisecondsBefore: 15)
      } else {
        SecondBoundary.ensureRemaining(milliseconds: 400)
      }
      let report = try RoundReport(sessions.authenticate(), sink: sink)

      let context = "round \(round)\(acrossASecondBoundary ? " (across a second)" : ""): \(report)"
      #expect(report.successes == 5, "\(context)")
      #expect(report.onlySuccessOrRefusal, "\(context)")
      let file = try SecretFileSnapshot.parse("\(secrets.path)/nobody")
      #expect(file.rateLimit?.times.count == 5, "\(context): \(String(describing: file.rateLimit))")
      #expect(file.failures == nil, "\(context): right codes are not failures")
    }
  }
}
