import Foundation
import OTPCore
import Testing

extension SyslogTests {
  /// A user with two tokens, through the real libpam: a code of either logs
  /// in, the log line names the token, each token's codes are its own to
  /// use up, and one lock covers them all.
  struct TokenLoginTests {
    let secrets: SecretDirectory
    var primary = TestToken()
    let second = TestToken()

    init() throws {
      secrets = try SecretDirectory()
      primary.options = ["DISALLOW_REUSE"]
    }

    /// The primary in GA's layout, then `tablet`, then `spare` (inactive).
    func enrol(secondReuse: Bool = false, spare: TestToken? = nil) throws {
      var text = primary.fileText
      text += "\" TOKEN tablet TOTP secret=\(second.base32)\(secondReuse ? "" : " used=")\n"
      if let spare { text += "\" TOKEN spare TOTP secret=\(spare.base32) active=no\n" }
      try secrets.write("nobody", text)
    }

    @Test func aCodeOfEachTokenLogsInAndTheDecisionNamesTheToken() throws {
      let spare = TestToken()
      try enrol(spare: spare)
      let now = TOTPClock.freshStep(period: 30)
      let stack = try PAMStack.otp([secrets.option])

      let first = try LoggedAuthentication.run(stack, answers: [primary.code(at: now)])
      #expect(first.result.status == .success)
      #expect(try first.decision().message?.hasSuffix("result=success method=totp token=default") == true)

      let tablet = try LoggedAuthentication.run(stack, answers: [second.code(at: now)])
      #expect(tablet.result.status == .success)
      #expect(try tablet.decision().message?.hasSuffix("result=success method=totp token=tablet") == true)

      // Each token's used step is its own: both replays are refused.
      for code in [primary.code(at: now), second.code(at: now)] {
        let replay = try LoggedAuthentication.run(stack, answers: [code])
        #expect(replay.result.status == .authError)
        #expect(try replay.decision().message?.hasSuffix("reason=\"code already used\"") == true)
      }
      // A token that awaits confirmation logs no one in.
      #expect(try PAMSession.authenticate(stack, user: "nobody", answers: [spare.code(at: now)]).status == .authError)

      let file = try SecretFileSnapshot.parse("\(secrets.path)/nobody")
      #expect(file.usedSteps == [primary.step(at: now)])
      #expect(file.token(named: "tablet")?.usedSteps == [second.step(at: now)])
      #expect(file.token(named: "tablet")?.lastUsed != nil)
      #expect(file.token(named: "spare")?.isActive == false)
    }

    /// 64 logins with one code of the second token, released at once:
    /// exactly one gets in, round after round (a TOTP token; then an HOTP
    /// one at counter 0). The control: the same
    /// logins where that token allows reuse all get in, so the count of
    /// successes can show more than one.
    @Test mutating func sameCodeOfTheSecondTokenSucceedsExactlyOnce() throws {
      let sink = try SyslogSink()
      defer { sink.close() }
      for round in 1...5 {
        let secrets = try SecretDirectory()
        var text = primary.fileText
        text += "\" TOKEN tablet TOTP secret=\(second.base32) used=\n"
        try secrets.write("nobody", text)
        let now = TOTPClock.freshStep(period: 30)
        let code = second.code(at: now)
        let report = try RoundReport(
          SimultaneousLogins.authenticate(
            .otp([secrets.option]), user: "nobody", answers: Array(repeating: code, count: SimultaneousLoginTests.threads)),
          sink: sink)
        #expect(report.successes == 1, "round \(round): \(report)")
        #expect(report.onlySuccessOrRefusal, "round \(round): \(report)")
        let file = try SecretFileSnapshot.parse("\(secrets.path)/nobody")
        #expect(file.token(named: "tablet")?.usedSteps == [second.step(at: now)], "round \(round)")
      }

      // An HOTP second token, from counter 0: one code, one success, and
      // the counter moves past it.
      let hotp = try SecretDirectory()
      try hotp.write("nobody", primary.fileText + "\" TOKEN yubikey HOTP secret=\(second.base32) counter=0\n")
      let counterReport = try RoundReport(
        SimultaneousLogins.authenticate(
          .otp([hotp.option]), user: "nobody",
          answers: Array(repeating: second.code(counter: 0), count: SimultaneousLoginTests.threads)),
        sink: sink)
      #expect(counterReport.successes == 1, "HOTP: \(counterReport)")
      #expect(counterReport.onlySuccessOrRefusal, "HOTP: \(counterReport)")
      guard case .hotp(let next) = try SecretFileSnapshot.parse("\(hotp.path)/nobody").token(named: "yubikey")?.mode
      else {
        Issue.record("the HOTP token is gone")
        return
      }
      #expect(next >= 1, "moved past the code used, never back")

      let control = try SecretDirectory()
      try control.write("nobody", primary.fileText + "\" TOKEN tablet TOTP secret=\(second.base32)\n")
      let code = second.code(at: TOTPClock.freshStep(period: 30))
      let report = try RoundReport(
        SimultaneousLogins.authenticate(
          .otp([control.option]), user: "nobody", answers: Array(repeating: code, count: SimultaneousLoginTests.threads)),
        sink: sink)
      #expect(report.successes == SimultaneousLoginTests.threads, "control: \(report)")
    }
  }
}
