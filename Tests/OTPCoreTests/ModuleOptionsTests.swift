import Testing

@testable import OTPCore

struct ModuleOptionsTests {
  func options(_ arguments: String...) throws(ModuleOptions.ParseError) -> ModuleOptions {
    try ModuleOptions.parse(arguments.map { Array($0.utf8) })
  }

  @Test func defaults() throws {
    let parsed = try options()
    #expect(parsed.secretTemplate == Array("/var/lib/pam_otp/${USER}".utf8))
    #expect(parsed.allowedPermissions == 0o600)
    #expect(!parsed.nullOK && !parsed.forwardPass && !parsed.decoy)
  }

  @Test func everyGAOption() throws {
    let parsed = try options(
      "secret=~/.google_authenticator", "user=otp", "nullok", "debug", "authtok_prompt=Code:",
      "echo-verification-code", "forward_pass", "try_first_pass", "use_first_pass", "noskewadj",
      "no_increment_hotp", "allow_readonly", "no_strict_owner", "allowed_perm=0640", "grace_period=3600")
    #expect(parsed.secretTemplate == Array("~/.google_authenticator".utf8))
    #expect(parsed.fixedUser == Array("otp".utf8))
    #expect(parsed.nullOK && parsed.debug && parsed.echoCode && parsed.forwardPass)
    #expect(parsed.tryFirstPass && parsed.useFirstPass && parsed.noSkewAdjust && parsed.noIncrementHOTP)
    #expect(parsed.allowReadonly && parsed.noStrictOwner)
    #expect(parsed.prompt == Array("Code:".utf8))
    #expect(parsed.allowedPermissions == 0o640)
    #expect(parsed.gracePeriod == 3600)
    #expect(try options("echo_verification_code").echoCode)
  }

  static let unknown = ["nulok", "secret", "NULLOK", "alwaysok", ""]
  @Test(arguments: unknown)
  func unknownOptionsAreNamed(argument: String) {
    let expected: ModuleOptions.ParseError =
      argument == "secret" ? .malformed(Array(argument.utf8)) : .unknown(Array(argument.utf8))
    #expect(throws: expected) { try options(argument) }
  }

  static let malformed = [
    "secret=", "user=a/b", "user=", "allowed_perm=0", "allowed_perm=0800", "allowed_perm=abc",
    "allowed_perm=077777", "grace_period=-1", "grace_period=x", "grace_period=604801",
    "nullok=1", "debug=yes", "authtok_prompt=", "authtok_prompt=a\u{7}b",
  ]
  @Test(arguments: malformed)
  func malformedValuesAreNamed(argument: String) {
    #expect(throws: ModuleOptions.ParseError.malformed(Array(argument.utf8))) { try options(argument) }
  }

  @Test func errorDescriptionsFollowLinuxPAM() {
    #expect(ModuleOptions.ParseError.unknown(Array("nulok".utf8)).description == "unrecognized option [nulok]")
  }
}

struct SecretPathTemplateTests {
  func expand(_ template: String, home: String? = "/home/alice") throws(SecretPathTemplate.ExpansionError) -> String {
    let result = try SecretPathTemplate.expand(Array(template.utf8), user: Array("alice".utf8), home: home.map { Array($0.utf8) })
    return String(decoding: result, as: UTF8.self)
  }

  @Test func expandsLikeGA() throws {
    #expect(try expand("/var/lib/pam_otp/${USER}") == "/var/lib/pam_otp/alice")
    #expect(try expand("~/.google_authenticator") == "/home/alice/.google_authenticator")
    #expect(try expand("${HOME}/.otp/${USER}") == "/home/alice/.otp/alice")
    #expect(try expand("/x/$USER/~") == "/x/$USER/~")
  }

  @Test func refusesWhatCannotBeAPath() {
    #expect(throws: SecretPathTemplate.ExpansionError.needsHome) { try expand("~/.x", home: nil) }
    #expect(throws: SecretPathTemplate.ExpansionError.notAbsolute) { try expand("relative/${USER}") }
    #expect(throws: SecretPathTemplate.ExpansionError.needsHome) { try expand("~/x", home: "") }
    #expect(throws: SecretPathTemplate.ExpansionError.needsHome) { try expand("${HOME}/x", home: "relative") }
  }

  @Test(arguments: ["alice", "a.b", "user@example.com", "Émile", "a-b_c"])
  func namesThatMayReachAPath(name: String) { #expect(UserName.isValid(Array(name.utf8))) }

  @Test(arguments: ["", ".", "..", ".hidden", "a/b", "a\nb", "a b", "a\u{7F}", String(repeating: "x", count: 257)])
  func namesThatMayNot(name: String) { #expect(!UserName.isValid(Array(name.utf8))) }
}
