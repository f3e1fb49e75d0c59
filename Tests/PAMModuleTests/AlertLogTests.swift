import CPAM
import Foundation
import Testing

extension SyslogTests {
  /// How a `notify=` program ended is logged, in the module's format, after
  /// the login's decision: sent, failed, or killed at its time limit. A
  /// program the module will not run is logged at once, and the login ends
  /// as it would have without it.
  struct AlertLogTests {
    let secrets: SecretDirectory
    var token = TestToken()

    init() throws {
      secrets = try SecretDirectory()
      token.options = ["FAILURES 2 \(TOTPClock.now() - 100)"]
      try secrets.enrol("nobody", token)
    }

    /// One login with a right code (raising `failures`), and the session's
    /// lines once `until` holds for them or `timeout` has passed.
    func run(
      _ options: [String], timeout: TimeInterval = 10, until: ([String]) -> Bool
    ) throws -> (result: AuthenticationResult, messages: [String]) {
      let sink = try SyslogSink()
      defer { sink.close() }
      let code = token.code(at: TOTPClock.freshStep(period: 30))
      let result = try PAMSession.authenticate(.otp([secrets.option] + options), user: "nobody", answers: [code])
      let deadline = Date().addingTimeInterval(timeout)
      var messages: [String] = []
      repeat {
        messages = try sink.lines(containing: result.service).compactMap(\.message)
        if until(messages) { break }
        usleep(20_000)
      } while Date() < deadline
      return (result, messages)
    }

    func context(_ result: AuthenticationResult) -> String {
      "user=nobody service=\(result.service) rhost=- tty=-"
    }

    @Test func aProgramThatEndsWellIsLoggedAsSent() throws {
      let recorder = try NotifyRecorder()
      let (result, messages) = try run([recorder.option]) { $0.count >= 2 }
      #expect(result.status == .success)
      // The watchdog logs on its own time: its line may come before or
      // after the decision's.
      #expect(messages.sorted() == [
        context(result) + " alert=failures sent",
        context(result) + " result=success method=totp failures_before=2",
      ])
    }

    @Test func aFailingProgramIsLoggedWithItsStatus() throws {
      let recorder = try NotifyRecorder(status: 3)
      let (result, messages) = try run([recorder.option]) { $0.count >= 2 }
      #expect(result.status == .success)
      #expect(messages.contains(context(result) + " alert=failures notify command exited with status 3"), "\(messages)")
    }

    @Test func aProgramThatHangsIsKilledAtItsLimitAfterTheDecision() throws {
      let recorder = try NotifyRecorder(sleep: 60)
      let (result, messages) = try run([recorder.option, "notify_timeout=1"]) { $0.count >= 2 }
      #expect(result.status == .success)
      #expect(messages == [
        context(result) + " result=success method=totp failures_before=2",
        context(result) + " alert=failures notify command ran past its time limit and was killed",
      ])
      let record = try recorder.waitForRecord(of: "failures")
      #expect(!NotifyRecorder.isRunning(record.pid) && !recorder.exitedByItself(record))
    }

    @Test func aProgramTheModuleWillNotRunChangesNothing() throws {
      let recorder = try NotifyRecorder()
      try #require(chmod(recorder.program, 0o777) == 0)
      let (result, messages) = try run([recorder.option], timeout: 1) { _ in false }
      #expect(result.status == .success)
      try #require(messages.count == 2, "\(messages)")
      #expect(messages[0].hasPrefix(context(result) + " alert=failures notify command refused: \(recorder.program)"))
      #expect(messages[0].contains("0777"))
      #expect(messages[1] == context(result) + " result=success method=totp failures_before=2")
      #expect(try recorder.records().isEmpty)
    }
  }
}
