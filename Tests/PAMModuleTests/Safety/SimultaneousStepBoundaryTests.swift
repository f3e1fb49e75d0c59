import Foundation
import OTPCore
import Testing

extension SyslogTests.SimultaneousLoginTests {
  /// Logins that straddle the start of a new TOTP step. With 1-second steps
  /// and a window of 3, in second s the codes of steps s-1...s+1 are valid
  /// and in second s+1 those of s...s+2. Half the logins type the code of
  /// step s-1 (valid only before the tick), half that of s+2 (valid only
  /// after it), released together 10 ms before the tick. Whichever side of
  /// the tick a login is judged on, each of the two codes can get in once.
  @Test func codesEitherSideOfAStepBoundaryAreEachAcceptedOnce() throws {
    let sink = try SyslogSink()
    defer { sink.close() }
    for round in 1...Self.boundaryRounds {
      let secrets = try SecretDirectory()
      var token = TestToken()
      token.stepSize = 1
      token.options = ["DISALLOW_REUSE"]
      try secrets.enrol("nobody", token)
      // Prepared in time (300 ms) to go 10 ms before second s+1 begins.
      let tick = SecondBoundary.nextTick(afterAtLeast: 300)
      let second = tick - 1
      let early = token.code(counter: UInt64(second - 1))
      let late = token.code(counter: UInt64(second + 2))
      // Each code must name its step (codes of nearby steps can coincide).
      let nearby = (second - 1...second + 2).map { token.code(counter: UInt64($0)) }
      guard Set(nearby).count == nearby.count else { continue }
      let answers = (0..<Self.threads).map { $0 % 2 == 0 ? early : late }
      // backoff=0: the refused replays must not stop the later logins.
      let prepared = try SimultaneousLogins.prepare(
        .otp([secrets.option, "backoff=0"]), user: "nobody", answers: answers)
      SecondBoundary.waitUntil(millisecondsBefore: 10, tick: tick)
      let report = try RoundReport(prepared.authenticate(), sink: sink)

      let accepted = zip(answers, report.statuses).filter { $0.1 == .success }.map(\.0)
      let context = "round \(round): \(report)"
      #expect(accepted.filter { $0 == early }.count <= 1, "\(context); the code of step s-1 was accepted again")
      #expect(accepted.filter { $0 == late }.count <= 1, "\(context); the code of step s+2 was accepted again")
      #expect(!accepted.isEmpty, "\(context)")
      #expect(report.onlySuccessOrRefusal, "\(context)")
      let used = try #require(SecretFileSnapshot.parse("\(secrets.path)/nobody").usedSteps)
      #expect(Set(used).count == used.count, "\(context); \(used)")
    }
  }
}
