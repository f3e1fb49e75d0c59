import CPAM
import Testing

/// GA's `RATE_LIMIT n m`: at most n answered attempts in any m seconds.
/// Over the limit the user is not asked at all, is told why (unless the
/// application passed PAM_SILENT), and even the right code is refused.
struct RateLimitTests {
  let secrets: SecretDirectory
  var token = TestToken()
  static let message = ScriptedConversation.Message(
    style: PAM_ERROR_MSG, text: "Too many verification attempts; try again later.")

  init() throws {
    secrets = try SecretDirectory()
    token.options = ["RATE_LIMIT 3 30"]
    try secrets.enrol("nobody", token)
  }

  private func authenticate(_ answer: String, flags: Int32 = 0) throws -> AuthenticationResult {
    try PAMSession.authenticate(.otp([secrets.option]), user: "nobody", answers: [answer], flags: flags)
  }

  /// Right codes count as attempts too (and keep this apart from any
  /// back-off after wrong codes).
  @Test func fourthAttemptWithinTheIntervalIsNotAsked() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    for attempt in 1...3 {
      let result = try authenticate(code)
      #expect(result.status == .success, "attempt \(attempt)")
      #expect(result.promptTexts == ["Verification code: "], "attempt \(attempt)")
    }
    let limited = try authenticate(code)
    #expect(limited.status == .authError, "the right code is refused too")
    #expect(limited.prompts.isEmpty)
    #expect(limited.messages == [Self.message])
  }

  @Test func silentFlagSuppressesTheMessage() throws {
    let now = TOTPClock.now()
    try secrets.enrol("nobody", { var full = token; full.options = ["RATE_LIMIT 3 30 \(now) \(now) \(now)"]; return full }())
    let silent = try authenticate(token.code(at: now), flags: Int32(bitPattern: PAM_SILENT))
    #expect(silent.status == .authError)
    #expect(silent.messages.isEmpty)
    let loud = try authenticate(token.code(at: now))
    #expect(loud.messages == [Self.message])
  }

  @Test func attemptsOlderThanTheIntervalDoNotCount() throws {
    let now = TOTPClock.freshStep(period: 30)
    let old = now - 60
    try secrets.enrol("nobody", { var full = token; full.options = ["RATE_LIMIT 3 30 \(old) \(old) \(old)"]; return full }())
    let result = try authenticate(token.code(at: now))
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Verification code: "])
  }

  @Test func answerThatIsNoCodeDoesNotCount() throws {
    for _ in 1...4 { _ = try authenticate("not a code") }
    let result = try authenticate(token.code(at: TOTPClock.freshStep(period: 30)))
    #expect(result.status == .success)
  }
}
