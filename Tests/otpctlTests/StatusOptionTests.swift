import ArgumentParser
import Testing

@testable import otpctl

/// `status --all` and the options that only make sense with it.
struct StatusOptionTests {
  @Test func allTakesAStoreAnOrderAndADirection() throws {
    let status = try #require(
      try OTPCtl.parseAsRoot(["status", "--all", "--secret-dir", "/srv/otp", "--sort", "last-success", "--reverse", "--json"])
        as? Status)
    #expect(status.all && status.json && status.reverse)
    #expect(status.secretDirectory == "/srv/otp")
    #expect(status.sort == .lastSuccess)
  }

  @Test func prometheusWritesWhereOutputSays() throws {
    let status = try #require(
      try OTPCtl.parseAsRoot(["status", "--all", "--prometheus", "--output", "/var/lib/node/pam_otp.prom"]) as? Status)
    #expect(status.prometheus && status.output == "/var/lib/node/pam_otp.prom")
  }

  @Test(arguments: Status.SortKey.allCases)
  func everySortKeyIsTakenByItsName(_ key: Status.SortKey) throws {
    let status = try #require(try OTPCtl.parseAsRoot(["status", "--all", "--sort", key.rawValue]) as? Status)
    #expect(status.sort == key)
  }

  static let refused: [([String], String)] = [
    (["--all", "alice"], "give no user name"),
    (["--all", "--secret-file", "/x"], "use --secret-dir"),
    (["--sort", "user"], "--sort needs --all"),
    (["--secret-dir", "/srv/otp"], "--secret-dir needs --all"),
    (["alice", "--reverse"], "--reverse needs --all"),
    (["--all", "--sort", "age"], "age"),
    (["--prometheus"], "--prometheus needs --all"),
    (["--output", "/x.prom"], "--output needs --all"),
    (["--all", "--json", "--prometheus"], "--json and --prometheus exclude each other"),
  ]

  @Test(arguments: refused)
  func misusesAreUsageErrors(arguments: [String], message: String) {
    let error = #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["status"] + arguments) }
    guard let error else { return }
    #expect(OTPCtl.exitCode(for: error).rawValue == CLIError.Kind.usage.rawValue)
    #expect(OTPCtl.message(for: error).contains(message), "\(OTPCtl.message(for: error))")
  }

  @Test func aRelativeStoreIsMadeAbsoluteAndTrailingSlashesGo() throws {
    #expect(try StoreListing.directoryPath(nil) == "/var/lib/pam_otp")
    #expect(try StoreListing.directoryPath("/srv/otp//") == "/srv/otp")
    #expect(try StoreListing.directoryPath("/") == "/")
    #expect(try StoreListing.directoryPath("store").hasSuffix("/store"))
  }

  @Test(arguments: [
    (Array("alice".utf8), "alice"), (Array("jos\u{e9}".utf8), "jos\u{e9}"), ([0x61, 0xFF], "a%FF"),
    (Array("a%FF".utf8), "a%25FF"), ([0x61, 0x0A, 0x62], "a%0Ab"),
  ])
  func namesThatCannotBeShownAsTheyAreAreEscapedWithoutCollisions(name: [UInt8], shown: String) {
    #expect(StoreListing.displayName(name) == shown)
  }
}
