import Foundation
import OTPCore
import Testing

extension SyslogTests {
  /// 64 logins released at the same instant through the real libpam, round
  /// after round, each round on a fresh secret file: the lock around every
  /// read-decide-write must make the outcome exact, not merely likely, and
  /// no login may fail with an error because another one was writing.
  /// Under SyslogTests (one at a time) because the log says why a login
  /// failed; each test is a stress of its own, and the module's lock wait
  /// is bounded (10 s).
  struct SimultaneousLoginTests {
    static let threads = 64
    static let rounds = 20
    /// Rounds that wait for the tick of a second take about a second each.
    static let boundaryRounds = 8

    /// With reuse disallowed, one TOTP code typed in 64 places at once
    /// lets exactly one login in; the step is recorded once.
    @Test func sameTOTPCodeSucceedsExactlyOnce() throws {
      let sink = try SyslogSink()
      defer { sink.close() }
      for round in 1...Self.rounds {
        let secrets = try SecretDirectory()
        var token = TestToken()
        token.options = ["DISALLOW_REUSE"]
        try secrets.enrol("nobody", token)
        let now = TOTPClock.freshStep(period: token.period)
        let code = token.code(at: now)

        let report = try RoundReport(
          SimultaneousLogins.authenticate(
            .otp([secrets.option]), user: "nobody", answers: Array(repeating: code, count: Self.threads)),
          sink: sink)

        #expect(report.successes == 1, "round \(round): \(report)")
        #expect(report.onlySuccessOrRefusal, "round \(round): \(report)")
        let file = try SecretFileSnapshot.parse("\(secrets.path)/nobody")
        #expect(file.usedSteps == [token.step(at: now)], "round \(round): the step is claimed once")
      }
    }
  }
}
