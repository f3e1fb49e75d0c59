import Testing

@testable import OTPCore

/// The wait after wrong codes in a row, with time injected.
struct BackoffTests {
  let start: Int64 = 1_700_000_000
  let wrong = Array("000000".utf8)

  func file() throws -> SecretFile { try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n") }

  /// Tries a wrong code whenever the policy allows, from `start` for `seconds`.
  func guesses(within seconds: Int64, backoff: Backoff = Backoff()) throws -> Int {
    var file = try file()
    var now = start
    var count = 0
    let settings = VerificationSettings(adjustSkew: false, backoff: backoff)
    while now < start + seconds {
      switch Verifier(token: file, settings: settings).admission(at: now, remoteHost: nil) {
      case .backingOff(let until): now = until
      case .rateLimited, .withinGracePeriod: now += 1
      case .prompt:
        let verdict = Verifier(token: file, settings: settings).verify(answer: wrong, at: now, remoteHost: nil, state: &file)
        #expect(verdict == .refused(.wrongCode))
        count += 1
        now += 1
      }
    }
    return count
  }

  @Test func delaysDoubleAfterThreeFreeFailures() {
    let backoff = Backoff()
    #expect((0...6).map { backoff.delay(afterFailures: $0) } == [0, 0, 0, 30, 60, 120, 240])
    #expect(Backoff(initialDelay: 0).delay(afterFailures: 50) == 0)
    #expect(Backoff(maximumDelay: 3600).delay(afterFailures: 40) == 3600)
    #expect(backoff.delay(afterFailures: 1_000_000) > 1_000_000_000)
  }

  @Test func anAttackerWhoKnowsThePasswordGets23GuessesAYear() throws {
    // The README's bound: 3 free + 20 doublings of 30 s fit in a year.
    let year: Int64 = 365 * 24 * 3600
    #expect(try guesses(within: year) == 23)
    #expect(try guesses(within: 24 * 3600) == 14)
  }

  @Test func anHonestUserWithFourTyposWaitsAMinuteAtMost() throws {
    var file = try file()
    let settings = VerificationSettings(adjustSkew: false)
    func attempt(_ answer: [UInt8], at time: Int64) -> Verdict {
      Verifier(token: file, settings: settings).verify(answer: answer, at: time, remoteHost: nil, state: &file)
    }
    for typo: Int64 in 0..<3 { #expect(attempt(wrong, at: start + typo) == .refused(.wrongCode)) }
    // Three typos: 30 s to wait; a fourth attempt sooner is refused, uncounted.
    #expect(Verifier(token: file, settings: settings).admission(at: start + 5, remoteHost: nil) == .backingOff(until: start + 32))
    #expect(attempt(wrong, at: start + 5) == .refused(.backingOff))
    #expect(file.failures == FailureCount(count: 3, last: start + 2))
    // A fourth typo after the wait: 60 s more.
    #expect(attempt(wrong, at: start + 32) == .refused(.wrongCode))
    #expect(Verifier(token: file, settings: settings).admission(at: start + 91, remoteHost: nil) == .backingOff(until: start + 92))
    let right = code(file, step: (start + 92) / 30)
    #expect(attempt(right, at: start + 92).isAccepted)
    #expect(file.failures == nil)
  }

  @Test func aRightCodeDuringTheBackoffIsRefusedAndNotCounted() throws {
    var file = try parse("\(rfcSecretBase32)\n\" FAILURES 3 \(start)\n\" TOTP_AUTH\n")
    let right = code(file, step: (start + 10) / 30)
    #expect(Verifier(token: file).verify(answer: right, at: start + 10, remoteHost: nil, state: &file) == .refused(.backingOff))
    #expect(file.failures == FailureCount(count: 3, last: start))
  }

  @Test func replaysCountAsFailuresButMalformedAnswersDoNot() throws {
    var file = try parse("\(rfcSecretBase32)\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n")
    let right = code(file, step: start / 30)
    _ = Verifier(token: file).verify(answer: right, at: start, remoteHost: nil, state: &file)
    _ = Verifier(token: file).verify(answer: right, at: start + 1, remoteHost: nil, state: &file)
    _ = Verifier(token: file).verify(answer: Array("nope".utf8), at: start + 2, remoteHost: nil, state: &file)
    #expect(file.failures == FailureCount(count: 1, last: start + 1))
  }

  @Test func theCountIsAFileLineGAIgnores() throws {
    var file = try file()
    file.recordFailure(at: start)
    file.recordFailure(at: start + 5)
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" FAILURES 2 \(start + 5)\n\" TOTP_AUTH\n")
    #expect(try parse(text(of: file)).failures == FailureCount(count: 2, last: start + 5))
    #expect(file.clearFailures() == 2)
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" TOTP_AUTH\n")
  }

  /// The module writes down when the back-off it decided ends, with the
  /// wrong code that starts or extends it, so that otpctl can show the wait
  /// of the stack's own `backoff=` options rather than the defaults.
  @Test func theEndOfTheBackoffIsRecordedWithTheWrongCodeThatCallsForIt() throws {
    var file = try file()
    let settings = VerificationSettings(adjustSkew: false, backoff: Backoff(freeFailures: 2, initialDelay: 10))
    func attempt(at time: Int64) {
      _ = Verifier(token: file, settings: settings).verify(answer: wrong, at: time, remoteHost: nil, state: &file)
    }
    attempt(at: start)
    #expect(file.backoffUntil == nil, "one wrong code calls for no wait")
    #expect(!text(of: file).contains("BACKOFF_UNTIL"))
    attempt(at: start + 1)
    #expect(file.backoffUntil == start + 11)
    #expect(file.recordedBackoffEnd(at: start + 5) == start + 11)
    #expect(file.recordedBackoffEnd(at: start + 11) == nil, "over")
    attempt(at: start + 11)
    #expect(file.backoffUntil == start + 31, "extended, doubled")
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" FAILURES 3 \(start + 11)\n\" BACKOFF_UNTIL \(start + 31)\n\" TOTP_AUTH\n")
    #expect(try parse(text(of: file)).recordedBackoffEnd(at: start + 12) == start + 31)
    // A success, or otpctl unlock, clears both lines.
    #expect(file.clearFailures() == 3)
    #expect(file.backoffUntil == nil && file.recordedBackoffEnd(at: start + 12) == nil)
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" TOTP_AUTH\n")
  }

  @Test func aRecordWithoutWrongCodesOrFromTheFutureShowsNoWait() throws {
    // Wrong codes cleared by an otpctl that kept the record: no wait.
    let cleared = try parse("\(rfcSecretBase32)\n\" BACKOFF_UNTIL \(start + 60)\n\" TOTP_AUTH\n")
    #expect(cleared.recordedBackoffEnd(at: start) == nil)
    // A clock stepped back calls for no wait (see Verifier.backoffEnd).
    let ahead = try parse("\(rfcSecretBase32)\n\" FAILURES 3 \(start + 10)\n\" BACKOFF_UNTIL \(start + 40)\n\" TOTP_AUTH\n")
    #expect(ahead.recordedBackoffEnd(at: start) == nil)
    // Clearing a stale record alone is a change; with nothing to clear, none.
    var stale = cleared
    #expect(stale.clearFailures() == 0 && stale.hasChanges && stale.backoffUntil == nil)
    var clean = try file()
    #expect(clean.clearFailures() == 0 && !clean.hasChanges)
    clean.recordBackoff(until: nil)
    #expect(!clean.hasChanges, "recording no wait where none was recorded writes nothing")
  }

  @Test func optionsConfigureIt() throws {
    let options = try ModuleOptions.parse(["backoff=60", "backoff_after=1", "backoff_max=86400"].map { Array($0.utf8) })
    #expect(options.backoff == Backoff(freeFailures: 1, initialDelay: 60, maximumDelay: 86400))
    #expect(try ModuleOptions.parse([Array("backoff=0".utf8)]).backoff.initialDelay == 0)
    for bad in ["backoff=", "backoff=-1", "backoff_after=101", "backoff_max=0"] {
      #expect(throws: ModuleOptions.ParseError.malformed(Array(bad.utf8))) { try ModuleOptions.parse([Array(bad.utf8)]) }
    }
  }
}
