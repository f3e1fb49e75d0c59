import Foundation
import Testing

/// The state a verification uses is in the secret file when
/// pam_authenticate returns: read back from the file afterwards.
struct StateWriteBackTests {
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws { secrets = try SecretDirectory() }

  private func authenticate(_ answer: String, options: [String] = []) throws -> PAMStatus {
    try PAMSession.authenticate(.otp([secrets.option] + options), user: "nobody", answers: [answer]).status
  }

  @Test mutating func hotpCounterAdvancesPastTheCodeUsed() throws {
    token.hotpCounter = 5
    try secrets.enrol("nobody", token)
    // The second code of the window (counter 6) is accepted; next is 7.
    #expect(try authenticate(token.code(counter: 6)) == .success)
    #expect(try secrets.optionLine("HOTP_COUNTER", of: "nobody") == "7")
    #expect(try authenticate(token.code(counter: 6)) == .authError, "an HOTP code works once")
    // A refused code moves the counter on too (GA; see no_increment_hotp).
    #expect(try secrets.optionLine("HOTP_COUNTER", of: "nobody") == "8")
    #expect(try authenticate(token.code(counter: 8)) == .success)
    #expect(try secrets.optionLine("HOTP_COUNTER", of: "nobody") == "9")
  }

  @Test mutating func usedTimeStepIsRecordedWhenReuseIsDisallowed() throws {
    token.options = ["DISALLOW_REUSE"]
    try secrets.enrol("nobody", token)
    let now = TOTPClock.freshStep(period: 30)
    #expect(try authenticate(token.code(at: now)) == .success)
    #expect(try secrets.optionLine("DISALLOW_REUSE", of: "nobody") == "\(token.step(at: now))")
    #expect(try authenticate(token.code(at: now, stepOffset: 1)) == .success)
    #expect(try secrets.optionLine("DISALLOW_REUSE", of: "nobody") == "\(token.step(at: now)) \(token.step(at: now) + 1)")
  }

  @Test mutating func usedScratchCodeIsRemoved() throws {
    token.scratchCodes = [12_345_678, 87_654_321]
    try secrets.enrol("nobody", token)
    #expect(try authenticate("12345678") == .success)
    let lines = try secrets.contents("nobody").split(separator: "\n")
    #expect(!lines.contains("12345678"))
    #expect(lines.contains("87654321"))
    #expect(try authenticate("12345678") == .authError, "a scratch code works once")
  }

  @Test mutating func attemptTimesAreRecordedForTheRateLimit() throws {
    token.options = ["RATE_LIMIT 3 30"]
    try secrets.enrol("nobody", token)
    let now = TOTPClock.freshStep(period: 30)
    let step = token.step(at: now)
    #expect(try authenticate(token.wrongCode(avoiding: step - 1...step + 1)) == .authError)
    #expect(try authenticate(token.code(at: now)) == .success)
    let recorded = try #require(try secrets.optionLine("RATE_LIMIT", of: "nobody")).split(separator: " ")
    #expect(recorded.prefix(2) == ["3", "30"])
    let times = recorded.dropFirst(2).compactMap { Int64($0) }
    #expect(times.count == 2, "one time per answered attempt, right or wrong")
    #expect(times.allSatisfy { abs($0 - now) <= 2 })
  }

  @Test mutating func otherLinesAreKeptAsTheyWere() throws {
    token.options = ["RATE_LIMIT 3 30", "DISALLOW_REUSE"]
    token.windowSize = 3
    token.scratchCodes = [12_345_678]
    try secrets.enrol("nobody", token)
    #expect(try authenticate(token.code(at: TOTPClock.freshStep(period: 30))) == .success)
    let lines = try secrets.contents("nobody").split(separator: "\n").map(String.init)
    #expect(lines.first == token.base32)
    #expect(lines.contains("\" WINDOW_SIZE 3"))
    #expect(lines.contains("\" TOTP_AUTH"))
    #expect(lines.last == "12345678")
    let status = try secrets.directory.status("nobody")
    #expect(status.owner == 0 && status.mode == 0o600, "owner and mode survive the rewrite")
  }

  @Test func nothingIsWrittenWhenNothingChanged() throws {
    // No rate limit, reuse allowed, TOTP: an accepted code changes no state.
    try secrets.enrol("nobody", token)
    let before = try secrets.directory.inode("nobody")
    #expect(try authenticate(token.code(at: TOTPClock.freshStep(period: 30))) == .success)
    #expect(try secrets.directory.inode("nobody") == before)
  }
}
