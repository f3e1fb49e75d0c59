import CPAM
import Foundation
import Testing

/// `notify=`: each event reaches the administrator's program, through the
/// real libpam, with its fields and never a code or a secret; the program
/// changes neither the login's result nor when it comes.
struct AlertTests {
  let secrets: SecretDirectory
  var token = TestToken()
  let items = [PAM_RHOST: "198.51.100.4", PAM_TTY: "ssh"]

  init() throws {
    secrets = try SecretDirectory()
    token.options = ["DISALLOW_REUSE"]
  }

  func stack(_ recorder: NotifyRecorder, _ options: [String] = []) throws -> PAMStack {
    try .otp([secrets.option, recorder.option] + options)
  }

  func wrongCode(at time: Int64) -> String {
    let step = token.step(at: time)
    return token.wrongCode(avoiding: step - 1...step + 1)
  }

  /// The fields every alert has, for this test's login.
  func expectContext(_ record: NotifyRecorder.Record, service: String, delivery: String = "") {
    let fields = record.fields
    #expect(fields["user"] == "nobody")
    #expect(fields["service"] == service)
    #expect(fields["rhost"] == "198.51.100.4")
    #expect(fields["tty"] == "ssh")
    #expect(fields["delivery"] == delivery)
    let time = Int64(fields["time"] ?? "") ?? 0
    #expect(abs(time - TOTPClock.now()) < 60)
    // Started as the delivery program is: no shell, only these variables.
    #expect(Set(record.environment.keys) == ["PATH", "PAM_USER", "PAM_SERVICE", "PAM_RHOST"], "\(record.environment)")
    #expect(record.environment["PAM_USER"] == "nobody" && record.environment["PAM_SERVICE"] == service)
  }

  @Test mutating func theWrongCodeThatStartsABackoffRaisesBackoff() throws {
    let recorder = try NotifyRecorder()
    let now = TOTPClock.freshStep(period: 30)
    token.options += ["FAILURES 2 \(now - 100)"]
    try secrets.enrol("nobody", token)
    let result = try PAMSession.authenticate(try stack(recorder), user: "nobody", answers: [wrongCode(at: now)], items: items)
    #expect(result.status == .authError)
    let record = try recorder.waitForRecord(of: "backoff")
    #expect(record.arguments == ["alert", "backoff"])
    expectContext(record, service: result.service)
    let fields = record.fields
    #expect(fields["event"] == "backoff" && fields["failures"] == "3")
    let until = try #require(Int64(fields["until"] ?? ""))
    #expect(until - (Int64(fields["time"] ?? "") ?? 0) == 30, "the default back-off after three wrong codes")
    // The module recorded the same end, for otpctl status.
    #expect(try secrets.optionLine("BACKOFF_UNTIL", of: "nobody") == "\(until)")
    #expect(try recorder.records().count == 1)
  }

  @Test mutating func aSuccessAfterWrongCodesRaisesFailures() throws {
    let recorder = try NotifyRecorder()
    let now = TOTPClock.freshStep(period: 30)
    token.options += ["FAILURES 2 \(now - 100)", "DELIVER email:nobody@example.com"]
    try secrets.enrol("nobody", token)
    let result = try PAMSession.authenticate(try stack(recorder), user: "nobody", answers: [token.code(at: now)], items: items)
    #expect(result.status == .success)
    let record = try recorder.waitForRecord(of: "failures")
    expectContext(record, service: result.service, delivery: "email:nobody@example.com")
    #expect(record.fields["failures"] == "2")
    #expect(record.input.split(separator: "\n").count == 8, "event, seven common fields, failures: \(record.input)")
  }

  @Test mutating func aScratchCodeRaisesScratch() throws {
    let recorder = try NotifyRecorder()
    token.scratchCodes = [36_925_814, 14_725_836]
    try secrets.enrol("nobody", token)
    let result = try PAMSession.authenticate(try stack(recorder), user: "nobody", answers: ["36925814"], items: items)
    #expect(result.status == .success)
    let record = try recorder.waitForRecord(of: "scratch")
    expectContext(record, service: result.service)
    #expect(record.fields["scratch_codes_left"] == "1")
  }

  @Test mutating func aSuccessFromAHostNotSeenBeforeRaisesNewHost() throws {
    let recorder = try NotifyRecorder()
    token.options += ["KNOWN_HOSTS 192.0.2.1"]
    try secrets.enrol("nobody", token)
    let now = TOTPClock.freshStep(period: 30)
    let result = try PAMSession.authenticate(try stack(recorder), user: "nobody", answers: [token.code(at: now)], items: items)
    #expect(result.status == .success)
    let record = try recorder.waitForRecord(of: "new-host")
    expectContext(record, service: result.service)
    #expect(try secrets.optionLine("KNOWN_HOSTS", of: "nobody") == "192.0.2.1 198.51.100.4")
    // From there again: known now, nothing raised.
    let again = try PAMSession.authenticate(
      try stack(recorder), user: "nobody", answers: [token.code(at: now, stepOffset: 1)], items: items)
    #expect(again.status == .success)
    try recorder.waitUntilNoneRuns()
    #expect(try recorder.records().count == 1)
  }

  @Test mutating func anUnusableFileRaisesUnusableOnBothLines() throws {
    try secrets.enrol("nobody", token, mode: 0o644)
    for decoy in [false, true] {
      let recorder = try NotifyRecorder()
      let result = try PAMSession.authenticate(
        try stack(recorder, decoy ? ["decoy"] : []), user: "nobody", answers: ["000000"], items: items)
      #expect(result.status == (decoy ? .authError : .authInfoUnavailable))
      let record = try recorder.waitForRecord(of: "unusable")
      expectContext(record, service: result.service)
      let reason = try #require(record.fields["reason"])
      #expect(reason.contains("\(secrets.path)/nobody") && reason.contains("0644"), "\(reason)")
    }
  }

  /// The decoy's success, back-off, scratch code and host did not happen.
  @Test mutating func theDecoyRaisesNothingAboutTheUsersState() throws {
    let recorder = try NotifyRecorder()
    let now = TOTPClock.freshStep(period: 30)
    token.options += ["FAILURES 2 \(now - 100)"]
    token.scratchCodes = [36_925_814]
    try secrets.enrol("nobody", token)
    for answer in [token.code(at: now), wrongCode(at: now), "36925814"] {
      #expect(try PAMSession.authenticate(try stack(recorder, ["decoy"]), user: "nobody", answers: [answer], items: items).status == .authError)
    }
    // The same logins on the real line raise each of them.
    let real = try NotifyRecorder()
    _ = try PAMSession.authenticate(try stack(real), user: "nobody", answers: [wrongCode(at: now)], items: items)
    _ = try real.waitForRecord(of: "backoff")
    #expect(try recorder.records().isEmpty)
  }

  @Test func withoutNotifyNoHostIsKept() throws {
    try secrets.enrol("nobody", token)
    let now = TOTPClock.freshStep(period: 30)
    let result = try PAMSession.authenticate(.otp([secrets.option]), user: "nobody", answers: [token.code(at: now)], items: items)
    #expect(result.status == .success)
    #expect(try secrets.optionLine("KNOWN_HOSTS", of: "nobody") == nil)
  }

  /// Whatever the event, the program's arguments, input and environment
  /// hold neither the secret, nor the code typed, nor a scratch code.
  @Test mutating func noAlertCarriesACodeOrASecret() throws {
    let recorder = try NotifyRecorder()
    let now = TOTPClock.freshStep(period: 30)
    token.scratchCodes = [36_925_814, 14_725_836, 25_836_914]
    token.options += ["FAILURES 2 \(now - 100)", "KNOWN_HOSTS 192.0.2.1"]
    try secrets.enrol("nobody", token)
    let wrong = wrongCode(at: now)
    let right = token.code(at: now)
    var typed = [wrong]
    // A one-second back-off, so that the right code may follow.
    let quick = try stack(recorder, ["backoff=1"])
    #expect(try PAMSession.authenticate(quick, user: "nobody", answers: [wrong], items: items).status == .authError)
    sleep(2)
    typed.append(right)
    #expect(try PAMSession.authenticate(quick, user: "nobody", answers: [right], items: items).status == .success)
    typed.append("36925814")
    #expect(try PAMSession.authenticate(quick, user: "nobody", answers: ["36925814"], items: items).status == .success)
    // backoff, then failures and new-host, then scratch.
    let records = try recorder.waitForRecords(4)
    #expect(Set(records.compactMap(\.event)) == ["backoff", "failures", "new-host", "scratch"])
    let forbidden = typed + token.scratchCodes.map { String($0) } + [token.base32, token.base32.lowercased()]
      + (-1...1).map { token.code(at: now, stepOffset: Int64($0)) }
    for record in records {
      let seen = ([record.input] + record.arguments + record.environment.map { "\($0.key)=\($0.value)" }).joined(separator: "\n")
      for secret in forbidden { #expect(!seen.contains(secret), "\"\(secret)\" reached the program: \(record)") }
    }
  }

  /// A program that hangs holds up nothing: the login has its result while
  /// the program still runs, the same result as without it, and the
  /// program is killed at its time limit.
  @Test mutating func aProgramThatHangsIsKilledAndTheLoginDoesNotWaitForIt() throws {
    let recorder = try NotifyRecorder(sleep: 60)
    let now = TOTPClock.freshStep(period: 30)
    token.options += ["FAILURES 2 \(now - 100)"]
    try secrets.enrol("nobody", token)
    let result = try PAMSession.authenticate(
      try stack(recorder, ["notify_timeout=1"]), user: "nobody", answers: [token.code(at: now)], items: items)
    let record = try recorder.waitForRecord(of: "failures")
    let runningAfterTheResult = NotifyRecorder.isRunning(record.pid)
    #expect(result.status == .success)
    #expect(runningAfterTheResult, "the login's result waited for the program")
    // Its watchdog is not this process's child, and holds none of its
    // descriptors (a client's socket there would keep a connection open).
    let watchdog = try #require(NotifyRecorder.parent(of: record.pid))
    #expect(watchdog != getpid() && NotifyRecorder.parent(of: watchdog) != getpid())
    #expect(NotifyRecorder.openDescriptors(of: watchdog) == ["0", "1", "2"])
    try recorder.waitUntilNoneRuns()
    #expect(!recorder.exitedByItself(record), "killed at its limit, not ended by itself")
  }
}
