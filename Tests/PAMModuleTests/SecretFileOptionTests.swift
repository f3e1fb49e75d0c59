import CPAM
import Testing

/// The options that say where the secret file is and what it may look
/// like: `secret=`, `user=`, `no_strict_owner`, `allowed_perm=`.
struct SecretFileOptionTests {
  let secrets: SecretDirectory
  let token = TestToken()

  init() throws { secrets = try SecretDirectory() }

  private func authenticate(_ options: [String], user: String, code: String? = nil) throws -> AuthenticationResult {
    let answer = code ?? token.code(at: TOTPClock.freshStep(period: 30))
    return try PAMSession.authenticate(.otp(options), user: user, answers: [answer])
  }

  @Test func secretPathExpandsTheUserName() throws {
    // Scratch codes tell the files apart without relying on the clock.
    var nobodys = token
    nobodys.scratchCodes = [11_111_111]
    var daemons = TestToken()
    daemons.scratchCodes = [22_222_222]
    try secrets.enrol("nobody", nobodys)
    try secrets.enrol("daemon", daemons)
    #expect(try authenticate([secrets.option], user: "daemon", code: "11111111").status == .authError)
    #expect(try authenticate([secrets.option], user: "nobody", code: "11111111").status == .success)
    #expect(try authenticate([secrets.option], user: "daemon", code: "22222222").status == .success)
  }

  @Test func secretPathWithoutVariablesIsOneFileForEveryone() throws {
    try secrets.enrol("shared", token)
    let option = "secret=\(secrets.path)/shared"
    #expect(try authenticate([option], user: "nobody").status == .success)
    #expect(try authenticate([option], user: "daemon").status == .success)
  }

  @Test func relativeSecretPathIsUnusable() throws {
    let result = try authenticate(["secret=relative/${USER}"], user: "nobody")
    #expect(result.status == .authInfoUnavailable)
    #expect(result.promptTexts == ["Verification code: "])
  }

  /// GA's `user=`: one account owns every secret file. A file that
  /// account owns is accepted for any login user; without `user=` it is
  /// not the login user's file.
  @Test func userOptionNamesTheOwnerOfTheSecretFiles() throws {
    let daemon = try SystemAccount.named("daemon")
    try secrets.enrol("bin", token, owner: daemon.uid, group: daemon.gid)
    #expect(try authenticate([secrets.option, "user=daemon"], user: "bin").status == .success)
    #expect(try authenticate([secrets.option, "user=\(daemon.uid)"], user: "bin").status == .success)
    #expect(try authenticate([secrets.option], user: "bin").status == .authInfoUnavailable)
  }

  @Test func userOptionWithAnUnknownAccountIsAServiceError() throws {
    try secrets.enrol("nobody", token)
    let result = try authenticate([secrets.option, "user=pamotp-no-such-account"], user: "nobody")
    #expect(result.status == .serviceError)
  }

  @Test func userOptionCannotBeCombinedWithAHomePath() throws {
    let result = try authenticate(["secret=~/.google_authenticator", "user=root"], user: "nobody")
    #expect(result.status == .serviceError)
  }

  @Test func fileOfAnotherUserIsRefusedUnlessNoStrictOwner() throws {
    let daemon = try SystemAccount.named("daemon")
    try secrets.enrol("bin", token, owner: daemon.uid, group: daemon.gid)
    #expect(try authenticate([secrets.option], user: "bin").status == .authInfoUnavailable)
    #expect(try authenticate([secrets.option, "no_strict_owner"], user: "bin").status == .success)
  }

  @Test func fileOwnedByTheUserInARootDirectoryIsAccepted() throws {
    let bin = try SystemAccount.named("bin")
    try secrets.enrol("bin", token, owner: bin.uid, group: bin.gid)
    #expect(try authenticate([secrets.option], user: "bin").status == .success)
  }

  @Test func allowedPermWidensTheModesAccepted() throws {
    try secrets.enrol("nobody", token, mode: 0o640)
    #expect(try authenticate([secrets.option], user: "nobody").status == .authInfoUnavailable)
    #expect(try authenticate([secrets.option, "allowed_perm=0640"], user: "nobody").status == .success)
    #expect(try authenticate([secrets.option, "allowed_perm=0600"], user: "nobody").status == .authInfoUnavailable)
  }

  @Test func allowedPermAcceptsFilesWithFewerBits() throws {
    try secrets.enrol("nobody", token, mode: 0o400)
    #expect(try authenticate([secrets.option], user: "nobody").status == .success)
    #expect(try authenticate([secrets.option, "allowed_perm=0440"], user: "nobody").status == .success)
  }
}
