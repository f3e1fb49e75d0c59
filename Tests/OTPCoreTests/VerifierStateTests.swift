import Testing

@testable import OTPCore

/// Rate limit, HOTP counter, scratch codes, grace period, answer checks.
struct VerifierStateTests {
  let now: Int64 = 1_700_000_015

  /// The rate limit alone; the back-off has tests of its own.
  let noBackoff = VerificationSettings(backoff: Backoff(initialDelay: 0))

  @Test func rateLimitAllowsExactlyNAttemptsPerInterval() throws {
    var file = try parse("\(rfcSecretBase32)\n\" RATE_LIMIT 3 30\n\" TOTP_AUTH\n")
    func Verifier(token: SecretFile) -> OTPCore.Verifier { OTPCore.Verifier(token: token, settings: noBackoff) }
    for attempt: Int64 in 0..<3 {
      let verifier = Verifier(token: file)
      #expect(verifier.admission(at: now + attempt, remoteHost: nil) == .prompt)
      #expect(verifier.verify(answer: Array("000000".utf8), at: now + attempt, remoteHost: nil, state: &file) != .refused(.rateLimited))
    }
    #expect(file.rateLimit?.times == [now, now + 1, now + 2])
    // The fourth within 30 s is not even prompted for.
    #expect(Verifier(token: file).admission(at: now + 3, remoteHost: nil) == .rateLimited)
    #expect(Verifier(token: file).admission(at: now + 30, remoteHost: nil) == .rateLimited)
    // 30 s after the first attempt one attempt is free again.
    #expect(Verifier(token: file).admission(at: now + 31, remoteHost: nil) == .prompt)
    // A session that was prompted before the limit was reached is refused
    // even with the right code, and (as in GA) its attempt counts.
    let right = code(file, step: (now + 3) / 30)
    #expect(Verifier(token: file).verify(answer: right, at: now + 3, remoteHost: nil, state: &file) == .refused(.rateLimited))
    #expect(file.rateLimit?.times == [now + 1, now + 2, now + 3])
    #expect(Verifier(token: file).admission(at: now + 31, remoteHost: nil) == .rateLimited)
    #expect(Verifier(token: file).admission(at: now + 32, remoteHost: nil) == .prompt)
    let later = code(file, step: (now + 32) / 30)
    #expect(Verifier(token: file).verify(answer: later, at: now + 32, remoteHost: nil, state: &file).isAccepted)
  }

  @Test func malformedAnswersDoNotUseUpAttempts() throws {
    var file = try parse("\(rfcSecretBase32)\n\" RATE_LIMIT 1 30\n\" HOTP_COUNTER 5\n")
    for junk in ["", "abcdef", "12345", "1234567", "123456789", "12 456"] {
      let verdict = Verifier(token: file).verify(answer: Array(junk.utf8), at: now, remoteHost: nil, state: &file)
      #expect(verdict == .refused(.malformedAnswer))
    }
    #expect(file.rateLimit?.times == [])
    #expect(file.mode == .hotp(nextCounter: 5))
  }

  @Test func hotpAcceptsWithinTheLookAheadWindowAndMovesTheCounterPastIt() throws {
    var file = try parse("\(rfcSecretBase32)\n\" WINDOW_SIZE 3\n\" HOTP_COUNTER 1\n")
    let third = code(file, step: 3)
    #expect(Verifier(token: file).verify(answer: third, at: now, remoteHost: nil, state: &file) == .accepted(.hotp(counter: 3)))
    #expect(file.mode == .hotp(nextCounter: 4))
    // Used (and earlier) codes never work again; the counter never goes back.
    for counter: Int64 in [1, 2, 3] {
      #expect(Verifier(token: file).verify(answer: code(file, step: counter), at: now, remoteHost: nil, state: &file) == .refused(.wrongCode))
    }
    #expect(file.mode == .hotp(nextCounter: 7))
  }

  @Test func hotpCounterAfterAWrongCodeFollowsNoIncrementHOTP() throws {
    var advancing = try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 1\n")
    _ = Verifier(token: advancing).verify(answer: Array("000000".utf8), at: now, remoteHost: nil, state: &advancing)
    #expect(advancing.mode == .hotp(nextCounter: 2))
    var fixed = try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 1\n")
    _ = Verifier(token: fixed, settings: VerificationSettings(advanceCounterOnFailure: false))
      .verify(answer: Array("000000".utf8), at: now, remoteHost: nil, state: &fixed)
    #expect(fixed.mode == .hotp(nextCounter: 1))
  }

  @Test func scratchCodesWorkOnce() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n12345678\n87654321\n")
    let answer = Array("87654321".utf8)
    #expect(Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file) == .accepted(.scratchCode))
    #expect(file.scratchCodes == [12_345_678])
    #expect(Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file) == .refused(.wrongCode))
  }

  @Test func eightDigitTOTPAndScratchCodesCoexist() throws {
    var file = try parse("\(rfcSecretBase32)\n\" DIGITS 8\n\" TOTP_AUTH\n12345678\n")
    #expect(Verifier(token: file).verify(answer: code(file, step: now / 30), at: now, remoteHost: nil, state: &file).isAccepted)
    #expect(Verifier(token: file).verify(answer: Array("12345678".utf8), at: now, remoteHost: nil, state: &file) == .accepted(.scratchCode))
  }

  @Test func scratchOnlyFilesRefuseTimeCodes() throws {
    var file = try parse("\(rfcSecretBase32)\n12345678\n")
    #expect(Verifier(token: file).verify(answer: code(file, step: now / 30), at: now, remoteHost: nil, state: &file) == .refused(.wrongCode))
  }

  @Test func gracePeriodPerRemoteHost() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    let settings = VerificationSettings(gracePeriod: 3600)
    let host = Array("192.0.2.7".utf8)
    #expect(Verifier(token: file, settings: settings).admission(at: now, remoteHost: host) == .prompt)
    _ = Verifier(token: file, settings: settings).verify(answer: code(file, step: now / 30), at: now, remoteHost: host, state: &file)
    #expect(file.lastLogins == [LastLogin(slot: 0, host: host, time: now)])
    let verifier = Verifier(token: file, settings: settings)
    #expect(verifier.admission(at: now + 3599, remoteHost: host) == .withinGracePeriod)
    #expect(verifier.admission(at: now + 3600, remoteHost: host) == .prompt)
    #expect(verifier.admission(at: now + 10, remoteHost: Array("192.0.2.70".utf8)) == .prompt)
    #expect(verifier.admission(at: now + 10, remoteHost: nil) == .prompt)
    // Without grace_period, a stored login lets no one in.
    #expect(Verifier(token: file).admission(at: now + 10, remoteHost: host) == .prompt)
  }

  @Test func gracePeriodKeepsTenHostsReplacingTheOldest() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    for index in 0..<11 { file.recordLogin(from: Array("h\(index)".utf8), at: now + Int64(index)) }
    #expect(file.lastLogins.count == 10)
    #expect(!file.lastLogins.contains { $0.host == Array("h0".utf8) })
    #expect(file.lastLogins.first { $0.host == Array("h10".utf8) }?.slot == 0)
  }

  @Test func forwardPassReadingsCountAsOneAttempt() throws {
    var file = try parse("\(rfcSecretBase32)\n\" RATE_LIMIT 3 30\n\" HOTP_COUNTER 1\n")
    let verdict = Verifier(token: file).verify(readings: [Array("123456".utf8), Array("99123456".utf8)], at: now, remoteHost: nil, state: &file)
    #expect(verdict == .refused(.wrongCode))
    #expect(file.rateLimit?.times == [now])
    #expect(file.mode == .hotp(nextCounter: 2))
  }
}
