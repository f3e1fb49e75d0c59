import CPAM
import Testing

/// The module reads at most 256 arguments. More must fail closed: an
/// unknown option, or a late `decoy` or `secret=`, past the limit would
/// otherwise be dropped without a word.
struct ArgumentLimitTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws { secrets = try SecretDirectory() }

  func call(_ arguments: [String]) throws -> (PAMStatus, [String]) {
    try secrets.enrol("nobody", token)
    let conversation = ScriptedConversation([.answer(token.code(at: TOTPClock.freshStep(period: 30)))])
    let session = try PAMSession(stack: .otp([secrets.option]), user: "nobody", conversation: conversation)
    defer { session.end() }
    return (try session.callModuleDirectly(arguments: arguments), conversation.messages.map(\.text))
  }

  @Test func the256thArgumentIsStillRead() throws {
    let (status, prompts) = try call(Array(repeating: "debug", count: 255) + [secrets.option])
    #expect(status == .success && prompts == ["Verification code: "])
  }

  @Test(arguments: ["no_such_option", "decoy", "debug"])
  func moreThan256ArgumentsFailClosed(last: String) throws {
    let (status, prompts) = try call([secrets.option] + Array(repeating: "debug", count: 256) + [last])
    #expect(status == PAMStatus(PAM_SERVICE_ERR))
    #expect(prompts.isEmpty, "nothing is asked under a line that is not understood")
  }
}
