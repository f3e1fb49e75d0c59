import Foundation
import OTPCore
import Testing

extension SyslogTests.SimultaneousLoginTests {
  /// HOTP: 16 consecutive codes, each typed by 4 logins, all 64 at once,
  /// while another thread keeps reading the file. No code is accepted
  /// twice, the counter is never seen going back, and the file's final
  /// counter follows from the codes that were accepted.
  struct HOTPRace {
    static let distinctCodes = 16
    static let copies = 4
    static let rounds = 10

    /// A token whose first codes are all different, so that each accepted
    /// answer names its counter.
    private static func token() -> TestToken {
      while true {
        var token = TestToken()
        token.hotpCounter = 1
        let codes = (1...UInt64(distinctCodes + 3)).map { token.code(counter: $0) }
        if Set(codes).count == codes.count { return token }
      }
    }

    /// `no_increment_hotp`: only a success moves the counter, so the
    /// accepted counters must step through the window (3) one after another.
    /// GA's default: every wrong code moves it on as well.
    @Test(arguments: [true, false])
    func consecutiveCodesRacingAreEachAcceptedOnce(onlySuccessMovesTheCounter: Bool) throws {
      let sink = try SyslogSink()
      defer { sink.close() }
      for round in 1...Self.rounds {
        let secrets = try SecretDirectory()
        let token = Self.token()
        try secrets.enrol("nobody", token)
        let counters = (0..<Self.distinctCodes * Self.copies).map { UInt64(1 + $0 % Self.distinctCodes) }
        let options = [secrets.option, "backoff=0"] + (onlySuccessMovesTheCounter ? ["no_increment_hotp"] : [])

        let watcher = CounterWatcher("\(secrets.path)/nobody")
        let results = try SimultaneousLogins.authenticate(
          .otp(options), user: "nobody", answers: counters.map { token.code(counter: $0) })
        let watched = watcher.stop()
        let report = try RoundReport(results, sink: sink)

        let context = "round \(round): \(report)"
        #expect(report.onlySuccessOrRefusal, "\(context)")
        let accepted = zip(counters, report.statuses).filter { $0.1 == .success }.map(\.0).sorted()
        #expect(Set(accepted).count == accepted.count, "\(context); a counter accepted twice: \(accepted)")
        #expect(watched.problems.isEmpty, "\(context); \(watched.problems.prefix(5))")
        #expect(watched.reads > 0)
        let final = try #require(SecretFileSnapshot.hotpCounter(SecretFileSnapshot.parse("\(secrets.path)/nobody")))
        let highest = accepted.last ?? 0
        if onlySuccessMovesTheCounter {
          // Until a success nothing moves, so a code of the first window gets in.
          #expect(!accepted.isEmpty, "\(context)")
          // Accepted in counter order, each within the window of the last.
          #expect(zip([0] + accepted, accepted).allSatisfy { $1 - $0 <= 3 }, "\(context); \(accepted)")
          #expect(final == highest + 1, "\(context); counter \(final) after accepting \(accepted)")
        } else {
          // Every refusal moved the counter too, so a round may accept none.
          #expect(final >= highest + 1, "\(context); counter \(final) after accepting \(accepted)")
        }
      }
    }
  }
}
