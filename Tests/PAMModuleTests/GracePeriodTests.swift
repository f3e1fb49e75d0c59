import CPAM
import Testing

/// `grace_period=SECONDS`: after a login from a remote host (PAM_RHOST),
/// another login from the same host within the period needs no code.
struct GracePeriodTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    try secrets.enrol("nobody", token)
  }

  private func authenticate(_ options: [String], host: String?, answers: [String]) throws -> AuthenticationResult {
    let items = host.map { [PAM_RHOST: $0] } ?? [:]
    return try PAMSession.authenticate(.otp([secrets.option] + options), user: "nobody", answers: answers, items: items)
  }

  private func code() -> String { token.code(at: TOTPClock.freshStep(period: 30)) }

  @Test func secondLoginFromTheSameHostIsNotAsked() throws {
    let first = try authenticate(["grace_period=3600"], host: "192.0.2.7", answers: [code()])
    #expect(first.status == .success)
    #expect(first.promptTexts == ["Verification code: "])
    let login = try #require(try secrets.optionLine("LAST0", of: "nobody")).split(separator: " ")
    #expect(login.first == "192.0.2.7")
    let second = try authenticate(["grace_period=3600"], host: "192.0.2.7", answers: [])
    #expect(second.status == .success)
    #expect(second.messages.isEmpty, "no prompt within the grace period")
  }

  @Test func anotherHostOrNoHostIsAsked() throws {
    #expect(try authenticate(["grace_period=3600"], host: "192.0.2.7", answers: [code()]).status == .success)
    let other = try authenticate(["grace_period=3600"], host: "192.0.2.8", answers: ["000000"])
    #expect(other.promptTexts == ["Verification code: "])
    let local = try authenticate(["grace_period=3600"], host: nil, answers: ["000000"])
    #expect(local.promptTexts == ["Verification code: "])
  }

  @Test func loginOlderThanThePeriodIsAsked() throws {
    let hourAgo = TOTPClock.now() - 3600
    var remembered = token
    remembered.options = ["LAST0 192.0.2.7 \(hourAgo)"]
    try secrets.enrol("nobody", remembered)
    let expired = try authenticate(["grace_period=600"], host: "192.0.2.7", answers: ["000000"])
    #expect(expired.promptTexts == ["Verification code: "])
    #expect(expired.status == .authError)
    let within = try authenticate(["grace_period=7200"], host: "192.0.2.7", answers: [])
    #expect(within.status == .success)
  }

  @Test func withoutTheOptionNoLoginIsRemembered() throws {
    #expect(try authenticate([], host: "192.0.2.7", answers: [code()]).status == .success)
    #expect(try secrets.optionLine("LAST0", of: "nobody") == nil)
    let again = try authenticate([], host: "192.0.2.7", answers: ["000000"])
    #expect(again.promptTexts == ["Verification code: "])
  }
}
