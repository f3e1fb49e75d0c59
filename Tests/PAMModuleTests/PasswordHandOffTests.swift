import CPAM
import Testing

/// `forward_pass`, `try_first_pass` and `use_first_pass`: a password and a
/// code typed as one answer, and the password part handed on to later
/// modules as PAM_AUTHTOK. An earlier module (pam_exec) stands in for the
/// password stage; pam_get_items shows the application what PAM_AUTHTOK
/// holds afterwards (see HelperStackLines.swift for why).
struct PasswordHandOffTests {
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    token.scratchCodes = [31_415_926]
    try secrets.enrol("nobody", token)
  }

  private func run(_ lines: [String], answers: [String]) throws -> (AuthenticationResult, authtok: String?) {
    let session = try PAMSession(
      stack: PAMStack(lines + [PAMStack.exportItemsLine]), user: "nobody",
      conversation: ScriptedConversation(answers: answers))
    let status = session.authenticate()
    let authtok = session.environment("PAM_AUTHTOK")
    #expect(session.item(PAM_AUTHTOK) == nil, "libpam keeps PAM_AUTHTOK from the application")
    let messages = session.conversation.messages
    session.end(status: status.raw)
    return (AuthenticationResult(status: status, messages: messages, service: session.service), authtok)
  }

  private func otp(_ options: String...) throws -> String { try PAMStack.otpLine([secrets.option] + options) }

  @Test func forwardPassTakesPasswordAndCodeAndHandsThePasswordOn() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let (result, authtok) = try run([otp("forward_pass")], answers: ["correct horse" + code])
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Password & verification code: "])
    #expect(authtok == "correct horse")
  }

  @Test func forwardPassWithAScratchCodeHandsOnTheRest() throws {
    let (result, authtok) = try run([otp("forward_pass")], answers: ["hunter2" + "31415926"])
    #expect(result.status == .success)
    #expect(authtok == "hunter2")
  }

  @Test func forwardPassWithAWrongCodeFails() throws {
    let step = token.step(at: TOTPClock.freshStep(period: 30))
    let (result, _) = try run([otp("forward_pass")], answers: ["hunter2" + token.wrongCode(avoiding: step - 1...step + 1)])
    #expect(result.status == .authError)
  }

  @Test func tryFirstPassUsesTheCodeAtTheEndOfTheEarlierPassword() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let (result, authtok) = try run([PAMStack.earlierPasswordLine, otp("try_first_pass")], answers: ["hunter2" + code])
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Password: "], "no prompt of its own")
    #expect(authtok == "hunter2", "the code is cut off before later modules see the password")
  }

  @Test func tryFirstPassAsksWhenTheEarlierPasswordHoldsNoCode() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let (result, authtok) = try run([PAMStack.earlierPasswordLine, otp("try_first_pass")], answers: ["hunter2", code])
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Password: ", "Verification code: "])
    #expect(authtok == "hunter2")
  }

  @Test func tryFirstPassAsksWhenThereIsNoEarlierPassword() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let (result, _) = try run([otp("try_first_pass")], answers: [code])
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Verification code: "])
  }

  @Test func useFirstPassUsesTheCodeAtTheEndOfTheEarlierPassword() throws {
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let (result, authtok) = try run([PAMStack.earlierPasswordLine, otp("use_first_pass")], answers: ["hunter2" + code])
    #expect(result.status == .success)
    #expect(result.promptTexts == ["Password: "])
    #expect(authtok == "hunter2")
  }

  @Test func useFirstPassNeverAsks() throws {
    // An earlier password without a code: refused, not asked again.
    let (plain, _) = try run([PAMStack.earlierPasswordLine, otp("use_first_pass")], answers: ["hunter2", "000000"])
    #expect(plain.status == .authError)
    #expect(plain.promptTexts == ["Password: "])
    // No earlier password at all: refused without a prompt.
    let (none, _) = try run([otp("use_first_pass")], answers: ["000000"])
    #expect(none.status == .authError)
    #expect(none.prompts.isEmpty)
  }
}
