import CPAM
import Testing

/// What the user is asked, and whether the answer is echoed: the default
/// prompt, `authtok_prompt=`, both spellings of `echo_verification_code`
/// and the combined prompt of `forward_pass`.
struct PromptTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    try secrets.enrol("nobody", token)
  }

  private func prompts(_ options: [String], user: String = "nobody") throws -> [ScriptedConversation.Message] {
    try PAMSession.authenticate(.otp([secrets.option] + options), user: user, answers: ["000000"]).prompts
  }

  @Test func defaultPromptIsVerificationCodeWithoutEcho() throws {
    #expect(try prompts([]) == [.init(style: PAM_PROMPT_ECHO_OFF, text: "Verification code: ")])
  }

  @Test func authtokPromptReplacesTheText() throws {
    #expect(try prompts(["authtok_prompt=OTP:"]) == [.init(style: PAM_PROMPT_ECHO_OFF, text: "OTP:")])
    // Spaces need libpam's [...] quoting in the stack file.
    #expect(try prompts(["authtok_prompt=Your one-time code: "]).map(\.text) == ["Your one-time code: "])
  }

  @Test func promptTextIsNeverAFormatString() throws {
    #expect(try prompts(["authtok_prompt=%s%n%x"]).map(\.text) == ["%s%n%x"])
  }

  @Test(arguments: ["echo_verification_code", "echo-verification-code"])
  func echoOptionAsksWithEchoOn(option: String) throws {
    #expect(try prompts([option]) == [.init(style: PAM_PROMPT_ECHO_ON, text: "Verification code: ")])
  }

  @Test func forwardPassAsksForPasswordAndCode() throws {
    #expect(try prompts(["forward_pass"]) == [.init(style: PAM_PROMPT_ECHO_OFF, text: "Password & verification code: ")])
  }

  @Test func authtokPromptWinsOverTheForwardPassText() throws {
    #expect(try prompts(["forward_pass", "authtok_prompt=Secret:"]).map(\.text) == ["Secret:"])
  }

  /// No enrolment oracle: an unenrolled or unknown user sees exactly the
  /// prompt an enrolled one sees, with every prompt option.
  @Test(arguments: [[], ["echo_verification_code"], ["forward_pass"], ["authtok_prompt=Code?"]])
  func unenrolledAndUnknownUsersSeeTheSamePrompt(options: [String]) throws {
    let enrolled = try prompts(options)
    #expect(enrolled.count == 1)
    #expect(try prompts(options, user: "daemon") == enrolled)
    #expect(try prompts(options, user: "pamotp-no-such-user") == enrolled)
  }
}
