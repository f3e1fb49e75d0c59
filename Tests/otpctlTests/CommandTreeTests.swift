import ArgumentParser
import Testing

@testable import otpctl

/// Each subcommand is reached by its documented name and reads its own
/// arguments.
struct CommandTreeTests {
  @Test(arguments: [
    ("enroll", "Enroll"), ("code", "Code"), ("verify", "Verify"), ("uri", "URI"), ("qr", "QR"),
    ("status", "Status"), ("revoke", "Revoke"),
  ])
  func subcommandNames(name: String, type: String) throws {
    let arguments = name == "verify" ? [name, "alice", "123456"] : name == "revoke" ? [name, "alice"] : [name]
    let command = try OTPCtl.parseAsRoot(arguments)
    #expect("\(Swift.type(of: command))" == type)
  }

  @Test func codeTakesAUserAndATime() throws {
    let code = try #require(try OTPCtl.parseAsRoot(["code", "alice", "--at", "1700000000"]) as? Code)
    #expect(code.target.user == "alice")
    #expect(code.at == 1_700_000_000)
    let now = try #require(try OTPCtl.parseAsRoot(["code"]) as? Code)
    #expect(now.target.user == nil && now.at == nil)
  }

  @Test func codeRefusesATimeThatIsNotANumber() {
    #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["code", "--at", "yesterday"]) }
  }

  /// `otpctl verify CODE` checks the caller's own code (Verify.swift's
  /// comment); `verify USER CODE` someone else's.
  @Test func verifyWithOneArgumentTakesItAsTheCode() throws {
    let verify = try #require(try OTPCtl.parseAsRoot(["verify", "123456"]) as? Verify)
    #expect(verify.user == nil)
    #expect(verify.code == "123456")
  }

  @Test func verifyWithTwoArgumentsTakesAUserAndACode() throws {
    let verify = try #require(
      try OTPCtl.parseAsRoot(["verify", "alice", "123456", "--secret-file", "/x/y"]) as? Verify)
    #expect(verify.user == "alice")
    #expect(verify.code == "123456")
    #expect(verify.targetOptions.user == "alice")
    #expect(verify.targetOptions.secretFile == "/x/y")
  }

  @Test func verifyNeedsACode() {
    #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["verify"]) }
  }

  @Test func revokeNeedsAUser() {
    #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["revoke"]) }
    #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["revoke", "alice", "bob"]) }
  }

  @Test func revokeAsksUnlessYes() throws {
    let asking = try #require(try OTPCtl.parseAsRoot(["revoke", "alice"]) as? Revoke)
    #expect(!asking.yes && asking.named.user == "alice")
    let scripted = try #require(try OTPCtl.parseAsRoot(["revoke", "alice", "--yes"]) as? Revoke)
    #expect(scripted.yes)
  }

  @Test func uriAndQRTakeIssuerAndLabel() throws {
    let uri = try #require(try OTPCtl.parseAsRoot(["uri", "alice", "--issuer", "I", "--label", "L"]) as? URI)
    #expect(uri.names.issuer == "I" && uri.names.label == "L")
    let qr = try #require(try OTPCtl.parseAsRoot(["qr", "alice", "--png", "/tmp/a.png", "--issuer", "I"]) as? QR)
    #expect(qr.png == "/tmp/a.png" && qr.names.issuer == "I" && qr.names.label == nil)
  }

  @Test func statusTakesJSON() throws {
    let status = try #require(try OTPCtl.parseAsRoot(["status", "alice", "--json"]) as? Status)
    #expect(status.json && status.target.user == "alice")
  }

  @Test func tokenSubcommandsTakeTheirArguments() throws {
    let add = try #require(try OTPCtl.parseAsRoot(["token", "add", "alice", "yubikey-5", "--hotp", "--counter", "0"]) as? TokenAdd)
    #expect(add.named.user == "alice" && add.name == "yubikey-5" && add.counter == 0)
    let list = try #require(try OTPCtl.parseAsRoot(["token", "list", "alice", "--json"]) as? TokenList)
    #expect(list.json && list.target.user == "alice")
    let remove = try #require(try OTPCtl.parseAsRoot(["token", "remove", "alice", "tablet", "--force"]) as? TokenRemove)
    #expect(remove.force && remove.name == "tablet")
    let rename = try #require(try OTPCtl.parseAsRoot(["token", "rename", "alice", "a", "b"]) as? TokenRename)
    #expect(rename.old == "a" && rename.new == "b")
    let code = try #require(try OTPCtl.parseAsRoot(["code", "alice", "--token", "tablet"]) as? Code)
    #expect(code.token == "tablet")
  }

  @Test func tokenAddRefusesBadNamesAndMismatchedOptions() {
    for arguments in [
      ["token", "add", "alice", "bad/name"], ["token", "add", "alice", "t", "--counter", "0"],
      ["token", "add", "alice", "t", "--hotp", "--allow-reuse"], ["token", "add", "alice"],
    ] {
      #expect(throws: (any Error).self, "\(arguments)") { try OTPCtl.parseAsRoot(arguments) }
    }
  }

  @Test func anUnknownSubcommandIsAUsageError() {
    let error = #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["enrol"]) }
    guard let error else { return }
    #expect(OTPCtl.exitCode(for: error).rawValue == 64)
  }
}
