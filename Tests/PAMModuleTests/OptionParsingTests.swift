import Testing

/// Every option the module knows is accepted; an unknown or malformed one
/// fails closed with PAM_SERVICE_ERR before anyone is asked anything.
struct OptionParsingTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    try secrets.enrol("nobody", token)
  }

  static let unknown = ["bogus", "NULLOK", "Debug", "forward-pass", "try_first_pass_", "secret_path=/tmp/x", "alwaysok"]

  static let malformed = [
    "secret", "secret=", "user", "user=", "user=a/b", "user=.hidden", "authtok_prompt", "authtok_prompt=",
    "allowed_perm", "allowed_perm=", "allowed_perm=0999", "allowed_perm=0", "allowed_perm=rw", "allowed_perm=017777",
    "grace_period", "grace_period=", "grace_period=abc", "grace_period=-1", "grace_period=604801",
    "grace_period=1000000000000", "nullok=1", "debug=yes", "echo_verification_code=1", "decoy=0",
  ]

  static let valid = [
    "nullok", "debug", "authtok_prompt=Code:", "echo_verification_code", "echo-verification-code", "forward_pass",
    "try_first_pass", "use_first_pass", "noskewadj", "no_increment_hotp", "allow_readonly", "no_strict_owner",
    "allowed_perm=0600", "allowed_perm=600", "grace_period=0", "grace_period=604800", "decoy", "user=root", "user=0",
  ]

  private func authenticate(_ option: String) throws -> AuthenticationResult {
    try PAMSession.authenticate(.otp([secrets.option, option]), user: "nobody", answers: ["000000"])
  }

  @Test(arguments: unknown)
  func unknownOptionIsAServiceError(option: String) throws {
    let result = try authenticate(option)
    #expect(result.status == .serviceError)
    #expect(result.messages.isEmpty)
  }

  @Test(arguments: malformed)
  func malformedOptionIsAServiceError(option: String) throws {
    let result = try authenticate(option)
    #expect(result.status == .serviceError)
    #expect(result.messages.isEmpty)
  }

  @Test(arguments: valid)
  func knownOptionIsAccepted(option: String) throws {
    #expect(try authenticate(option).status != .serviceError)
  }

  @Test func badOptionAfterGoodOnesStillFails() throws {
    let result = try PAMSession.authenticate(
      .otp([secrets.option, "nullok", "debug", "bogus"]), user: "nobody", answers: [token.code(at: TOTPClock.now())])
    #expect(result.status == .serviceError)
  }
}
