import Foundation
import Testing

@testable import OTPCore

/// The secret file with several tokens: the primary in GA's layout, the
/// others on `" TOKEN` lines.
struct SecretFileTokenTests {
  /// Another 20-byte secret ("abcdefghijklmnopqrst").
  static let otherSecretBase32 = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"

  static let threeTokens = """
    \(rfcSecretBase32)
    " RATE_LIMIT 3 30 1700000000
    " WINDOW_SIZE 3
    " DISALLOW_REUSE 56666666
    " TOTP_AUTH
    " TOKEN_NAME phone
    " LAST_USED 1700000000
    " TOKEN yubikey-5 HOTP secret=\(otherSecretBase32) window=5 counter=0
    " TOKEN tablet TOTP secret=\(otherSecretBase32) algorithm=SHA256 digits=8 step=60 used=28333333,28333334 skew=-1 resetting=28333335+2 last=1699999999 active=no
    12345678

    """

  @Test func severalTokensAreReadWithTheirOwnSettingsAndState() throws {
    let file = try parse(Self.threeTokens)
    #expect(file.tokens.map(\.name) == ["phone", "yubikey-5", "tablet"])
    #expect(file.primary.mode == .totp && file.primary.usedSteps == [56666666] && file.primary.lastUsed == 1_700_000_000)
    let yubikey = try #require(file.token(named: "yubikey-5"))
    #expect(yubikey.mode == .hotp(nextCounter: 0))
    #expect(yubikey.effectiveWindowSize == 5 && yubikey.usedSteps == nil && yubikey.isActive)
    let tablet = try #require(file.token(named: "tablet"))
    #expect(tablet.effectiveAlgorithm == .sha256 && tablet.effectiveDigits == 8 && tablet.effectiveStepSize == 60)
    #expect(tablet.usedSteps == [28333333, 28333334] && tablet.timeSkew == -1 && tablet.lastUsed == 1_699_999_999)
    #expect(tablet.skewObservations == [SkewObservation(step: 28333335, skew: 2)])
    #expect(!tablet.isActive && !tablet.acceptsCodes)
    // User-level state stays the user's.
    #expect(file.rateLimit?.times == [1_700_000_000] && file.scratchCodes == [12345678])
  }

  @Test func aFileWithSeveralTokensComesBackByteForByte() throws {
    #expect(text(of: try parse(Self.threeTokens)) == Self.threeTokens)
  }

  @Test func aTokenAddedAndRemovedLeavesAGAFileAsItWas() throws {
    // As the google-authenticator CLI writes it.
    let ga = """
      \(rfcSecretBase32)
      " RATE_LIMIT 3 30
      " WINDOW_SIZE 3
      " DISALLOW_REUSE
      " TOTP_AUTH
      12345678
      87654321

      """
    var file = try parse(ga)
    #expect(text(of: file) == ga)
    try file.addToken(OTPToken(name: "backup", secret: SensitiveBytes(Array("abcdefghijklmnopqrst".utf8)), mode: .hotp(nextCounter: 0)))
    let written = text(of: file)
    // GA's lines are untouched; the token is one more line, which GA skips.
    let line = "\" TOKEN backup HOTP secret=\(Self.otherSecretBase32) counter=0\n"
    #expect(written.contains(line))
    #expect(written.replacingOccurrences(of: line, with: "") == ga)
    #expect(try parse(written).tokens.count == 2)
    try file.removeToken(named: "backup")
    #expect(text(of: file) == ga)
  }

  @Test func thePrimaryIsNamedDefaultUntilRenamed() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    #expect(file.primary.name == OTPToken.defaultName)
    try file.renameToken("default", to: "phone")
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" TOKEN_NAME phone\n\" TOTP_AUTH\n")
    #expect(try parse(text(of: file)).primary.name == "phone")
  }

  @Test func aPrimaryHOTPTokenAtCounterZeroIsWrittenSoGAAcceptsNoCodeOfIt() throws {
    let file = SecretFile(secret: SensitiveBytes(Array("12345678901234567890".utf8)), mode: .hotp(nextCounter: 0))
    let written = text(of: file)
    // GA reads HOTP_COUNTER 0 as "not HOTP"; without TOTP_AUTH it then
    // accepts scratch codes only.
    #expect(written.contains("\" HOTP_COUNTER 0\n") && !written.contains("TOTP_AUTH"))
    #expect(try parse(written).mode == .hotp(nextCounter: 0))
  }

  @Test func removingThePrimaryMovesTheNextActiveTokenIntoGAsLayout() throws {
    var file = try parse(Self.threeTokens)
    try file.removeToken(named: "phone")
    let written = text(of: file)
    #expect(written.hasPrefix("\(Self.otherSecretBase32)\n"))
    let reread = try parse(written)
    #expect(reread.tokens.map(\.name) == ["yubikey-5", "tablet"])
    #expect(reread.mode == .hotp(nextCounter: 0) && reread.effectiveWindowSize == 5)
    #expect(reread.scratchCodes == [12345678] && reread.rateLimit?.attempts == 3)
    // The only one left awaits confirmation: it cannot become the primary.
    #expect(throws: SecretFile.TokenError.self) { try file.removeToken(named: "yubikey-5") }
    try file.removeToken(named: "tablet")
    #expect(throws: SecretFile.TokenError.self) { try file.removeToken(named: "yubikey-5") }
    #expect(file.tokens.count == 1)
  }

  @Test func namesAreCheckedUniqueAndBounded() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    func token(_ name: String) -> OTPToken {
      OTPToken(name: name, secret: SensitiveBytes(Array("abcdefghijklmnopqrst".utf8)), mode: .totp)
    }
    for bad in ["", "-x", "a b", "a=b", "ä", String(repeating: "a", count: 33), "a\n"] {
      #expect(throws: SecretFile.TokenError.self) { try file.addToken(token(bad)) }
    }
    #expect(throws: SecretFile.TokenError.self) { try file.addToken(token("default")) }
    for index in 1..<OTPToken.maximumCount { try file.addToken(token("t\(index)")) }
    #expect(throws: SecretFile.TokenError.self) { try file.addToken(token("one-more")) }
    #expect(throws: SecretFile.TokenError.self) { try file.renameToken("t1", to: "t2") }
    try file.renameToken("t1", to: "yubikey-5.backup_2")
    #expect(try parse(text(of: file)).tokens.count == OTPToken.maximumCount)
  }

  @Test func aChangeThatBreaksTheRulesIsNotTaken() throws {
    var file = try parse(Self.threeTokens)
    file.modifyToken(at: 0) { $0.name = "tablet" }
    file.modifyToken(at: 1) {
      $0.name = "bad name"
      $0.mode = .scratchCodesOnly
    }
    #expect(file.tokens.map(\.name) == ["phone", "yubikey-5", "tablet"])
    #expect(file.token(at: 1)?.mode == .hotp(nextCounter: 0))
    #expect(!file.modifyToken(at: 3) { $0.isActive = true })
  }

  static let malformed: [(String, Int, SecretFileError.Reason)] = [
    ("\" TOKEN a TOTP\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) counter=1\n", 2, .invalidValue(.token)),
    ("\" TOKEN a HOTP secret=\(otherSecretBase32)\n", 2, .invalidValue(.token)),
    ("\" TOKEN a HOTP secret=\(otherSecretBase32) counter=1 used=5\n", 2, .invalidValue(.token)),
    ("\" TOKEN a XOTP secret=\(otherSecretBase32)\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) colour=red\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) digits=6 digits=8\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) digits=9\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) active=yes\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=MFRGG\n", 2, .invalidValue(.token)),
    ("\" TOKEN a/b TOTP secret=\(otherSecretBase32)\n", 2, .invalidValue(.token)),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32)\n\" TOKEN a TOTP secret=\(otherSecretBase32)\n", 3, .duplicateTokenName(Array("a".utf8))),
    ("\" TOKEN default TOTP secret=\(otherSecretBase32)\n", 2, .duplicateTokenName(Array("default".utf8))),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32)\n\" TOKEN_NAME a\n", 3, .duplicateTokenName(Array("a".utf8))),
    ("\" TOKEN a TOTP secret=\(otherSecretBase32) used=\(Array(repeating: "56666666", count: 600).joined(separator: ","))\n", 2, .lineTooLong),
    ("\" TOKEN_NAME -x\n", 2, .invalidValue(.tokenName)),
    ("\" TOKEN_NAME a\n\" TOKEN_NAME b\n", 3, .duplicateOption(.tokenName)),
  ]

  @Test(arguments: malformed.indices)
  func malformedTokenLinesNameTheLine(index: Int) {
    let (extra, line, reason) = Self.malformed[index]
    #expect(throws: SecretFileError(line: line, reason)) { try parse("\(rfcSecretBase32)\n" + extra) }
  }

  @Test func moreThanTheLargestNumberOfTokensIsRefused() {
    let lines = (1...OTPToken.maximumCount).map { "\" TOKEN t\($0) TOTP secret=\(Self.otherSecretBase32)\n" }.joined()
    #expect(throws: SecretFileError(line: OTPToken.maximumCount + 1, .tooManyTokens)) {
      try parse("\(rfcSecretBase32)\n" + lines)
    }
  }

  @Test func aSecretNeverAppearsInAnError() {
    do {
      _ = try parse("\(rfcSecretBase32)\n\" TOKEN a TOTP secret=\(Self.otherSecretBase32) bad\n")
      Issue.record("accepted")
    } catch {
      #expect(!error.description.contains(Self.otherSecretBase32) && error.description.contains("line 2"))
    }
  }
}
