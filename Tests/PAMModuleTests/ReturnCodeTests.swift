import CPAM
import Testing

/// Every code the module returns to libpam, each through a real stack.
struct ReturnCodeTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws { secrets = try SecretDirectory() }

  private func stack(_ options: String...) throws -> PAMStack { try .otp([secrets.option] + options) }

  @Test func rightCodeIsSuccess() throws {
    try secrets.enrol("nobody", token)
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let result = try PAMSession.authenticate(stack(), user: "nobody", answers: [code])
    #expect(result.status == .success)
    #expect(result.prompts == [.init(style: PAM_PROMPT_ECHO_OFF, text: "Verification code: ")])
  }

  @Test func wrongCodeIsAuthError() throws {
    try secrets.enrol("nobody", token)
    let step = token.step(at: TOTPClock.freshStep(period: 30))
    let result = try PAMSession.authenticate(stack(), user: "nobody", answers: [token.wrongCode(avoiding: step - 1...step + 1)])
    #expect(result.status == .authError)
    #expect(result.promptTexts == ["Verification code: "])
  }

  @Test func replayedCodeIsAuthError() throws {
    var reuseGuarded = token
    reuseGuarded.options = ["DISALLOW_REUSE"]
    try secrets.enrol("nobody", reuseGuarded)
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    #expect(try PAMSession.authenticate(stack(), user: "nobody", answers: [code]).status == .success)
    #expect(try PAMSession.authenticate(stack(), user: "nobody", answers: [code]).status == .authError)
  }

  @Test func rateLimitedIsAuthErrorWithoutAPrompt() throws {
    var limited = token
    let now = TOTPClock.freshStep(period: 30)
    limited.options = ["RATE_LIMIT 2 30 \(now) \(now)"]
    try secrets.enrol("nobody", limited)
    let result = try PAMSession.authenticate(stack(), user: "nobody", answers: [token.code(at: now)])
    #expect(result.status == .authError)
    #expect(result.prompts.isEmpty)
    #expect(result.messages == [.init(style: PAM_ERROR_MSG, text: "Too many verification attempts; try again later.")])
  }

  @Test func notEnrolledWithNullokIsIgnoreWithoutAPrompt() throws {
    let result = try PAMSession.authenticate(PAMStack.revealingIgnore([secrets.option, "nullok"]), user: "nobody")
    #expect(result.status == .credentialsUnavailable, "the line after the module answers only after PAM_IGNORE")
    #expect(result.prompts.isEmpty)
    // Alone in a stack, PAM_IGNORE leaves libpam nothing to go on.
    #expect(try PAMSession.authenticate(stack("nullok"), user: "nobody").status == .permissionDenied)
  }

  @Test func notEnrolledWithoutNullokIsPromptedThenAuthError() throws {
    let result = try PAMSession.authenticate(stack(), user: "nobody", answers: ["123456"])
    #expect(result.status == .authError)
    #expect(result.prompts == [.init(style: PAM_PROMPT_ECHO_OFF, text: "Verification code: ")])
  }

  @Test func unknownUserIsPromptedThenAuthError() throws {
    for user in ["pamotp-no-such-user", "../etc/shadow", ".hidden"] {
      let result = try PAMSession.authenticate(stack(), user: user, answers: ["123456"])
      #expect(result.status == .authError, "user \(user)")
      #expect(result.promptTexts == ["Verification code: "], "user \(user)")
    }
  }

  @Test func unusableFileIsAuthInfoUnavailable() throws {
    try secrets.enrol("nobody", token, mode: 0o644)
    let result = try PAMSession.authenticate(stack(), user: "nobody", answers: [token.code(at: TOTPClock.now())])
    #expect(result.status == .authInfoUnavailable)
    #expect(result.promptTexts == ["Verification code: "], "prompted as usual, so the problem is not revealed")
  }

  @Test func answerThatIsNoCodeIsAuthError() throws {
    try secrets.enrol("nobody", token)
    for answer in ["", "12a456", "1234567890123", "12345"] {
      let result = try PAMSession.authenticate(stack(), user: "nobody", answers: [answer])
      #expect(result.status == .authError, "answer \"\(answer)\"")
    }
  }

  @Test func codeWithSpacesAsAppsShowItIsAccepted() throws {
    try secrets.enrol("nobody", token)
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let spaced = "\(code.prefix(3)) \(code.dropFirst(3))"
    #expect(try PAMSession.authenticate(stack(), user: "nobody", answers: [spaced]).status == .success)
  }

  @Test func conversationAgainIsIncompleteAndTheNextCallResumes() throws {
    try secrets.enrol("nobody", token)
    let conversation = ScriptedConversation([.again])
    let session = try PAMSession(stack: stack(), user: "nobody", conversation: conversation)
    #expect(session.authenticate() == .incomplete)
    conversation.append([.answer(token.code(at: TOTPClock.freshStep(period: 30)))])
    #expect(session.authenticate() == .success, "libpam resumes at the module that returned PAM_INCOMPLETE")
    #expect(conversation.promptTexts == ["Verification code: ", "Verification code: "])
  }

  @Test func conversationAgainForAnUnenrolledUserIsIncomplete() throws {
    let result = try PAMSession.authenticate(stack(), user: "nobody", replies: [.again])
    #expect(result.status == .incomplete)
  }

  @Test func conversationErrorIsConvError() throws {
    try secrets.enrol("nobody", token)
    let result = try PAMSession.authenticate(stack(), user: "nobody", replies: [.fail])
    #expect(result.status == .conversationError)
  }

  /// No enrolment oracle: a broken conversation gives the application the
  /// same code whether or not the user has a secret file.
  @Test(arguments: ["daemon", "pamotp-no-such-user"])
  func conversationErrorIsConvErrorAlsoForUsersWithoutASecret(user: String) throws {
    let result = try PAMSession.authenticate(stack(), user: user, replies: [.fail])
    #expect(result.status == .conversationError)
  }

  @Test func userIsAskedForWhenTheApplicationGaveNone() throws {
    try secrets.enrol("nobody", token)
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let session = try PAMSession(stack: stack(), user: nil, conversation: ScriptedConversation(answers: ["nobody", code]))
    #expect(session.authenticate() == .success)
    #expect(session.conversation.promptTexts == ["login:", "Verification code: "], "libpam's own prompt, then ours")
    #expect(session.item(PAM_USER) == "nobody")
  }
}
