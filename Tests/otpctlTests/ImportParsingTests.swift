import OTPCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import otpctl

/// The importers' parsers on their own: pam_oath's usersfile lines, RFC
/// 6030's own containers (the e2e tests log in with what they yield), and
/// what a token becomes in a secret file.
struct UsersFileTests {
  static let secret = "3132333435363738393031323334353637383930"  // "12345678901234567890"

  func parse(_ text: String) throws(UsersFile.Failure) -> [ImportedToken] {
    try UsersFile.parse(Array(text.utf8), now: 0)
  }

  @Test func everyTypeLiboathKnows() throws {
    let table: [(String, Int?, Int)] = [
      ("HOTP", nil, 6), ("HOTP/E", nil, 6), ("HOTP/E/7", nil, 7), ("HOTP/E/8", nil, 8),
      ("HOTP/T30", 30, 6), ("HOTP/T30/8", 30, 8), ("HOTP/T60", 60, 6), ("HOTP/T60/7", 60, 7),
    ]
    for (type, step, digits) in table {
      let token = try #require(try parse("\(type) alice - \(Self.secret)\n").first)
      #expect(token.digits == digits, "\(type)")
      switch token.kind {
      case .totp(let tokenStep, nil): #expect(tokenStep == step, "\(type)")
      case .hotp(0): #expect(step == nil, "\(type)")
      default: Issue.record("\(type): \(token.kind)")
      }
    }
  }

  @Test func theCounterOfTheLastAcceptedCodeIsSpent() throws {
    // pam_oath writes the counter of the code it accepted and the code:
    // the next one to accept is one further.
    let used = try parse("HOTP alice - \(Self.secret) 4 338314 2024-05-01T12:00:00L\n")
    #expect(used.first?.kind == .hotp(nextCounter: 5))
    let fresh = try parse("HOTP alice - \(Self.secret) 4\n")
    #expect(fresh.first?.kind == .hotp(nextCounter: 4))
  }

  @Test func commentsBlankLinesAndPasswordNotes() throws {
    let tokens = try parse("# users\n\n  \nHOTP alice secretpw \(Self.secret)\nHOTP bob + \(Self.secret)\n")
    #expect(tokens.map(\.user) == ["alice", "bob"])
    #expect(tokens[0].notes.count == 1 && !tokens[0].notes[0].contains("secretpw"))
  }

  @Test func longAndMalformedLinesAreRefusedByNumber() {
    let long = "HOTP " + String(repeating: "x", count: 10 << 20)
    for (text, line) in [
      ("HOTP alice - \(Self.secret)\n\(long)\n", 2), ("HOTP/T45 alice - \(Self.secret)\n", 1),
      ("# c\nHOTP alice - 12345\n", 2), ("HOTP alice -\n", 1), ("HOTP ../x - \(Self.secret)\n", 1),
      ("HOTP alice - \(Self.secret) 9999999999999999999 123456\n", 1),
    ] {
      #expect { try parse(text) } throws: { ($0 as? UsersFile.Failure)?.line == line }
    }
  }
}

struct PSKCTests {
  static let fixtures = String(#filePath).split(separator: "/").dropLast(2).joined(separator: "/")
  static let rfcSecret = Array("12345678901234567890".utf8)

  func container(_ name: String, _ secrets: PSKC.Secrets = PSKC.Secrets()) throws -> PSKC {
    let bytes = try #require(Fixture.read("/\(Self.fixtures)/e2e/otpctl/fixtures/\(name)"))
    return try PSKC(bytes, secrets: secrets)
  }

  @Test func rfc6030FiguresDecryptToRFC4226sSecret() throws {
    var preShared = PSKC.Secrets()
    preShared.preSharedKey = SensitiveBytes(Hex.decode(Array("12345678901234567890123456789012".utf8)) ?? [])
    var passphrase = PSKC.Secrets()
    passphrase.passphrase = SensitiveBytes(Array("qwerty".utf8))
    for (name, secrets) in [
      ("rfc6030-figure3-plain.pskcxml", PSKC.Secrets()), ("rfc6030-figure6-preshared.pskcxml", preShared),
      ("rfc6030-figure7-pbkdf2.pskcxml", passphrase),
    ] {
      let key = try #require(try container(name, secrets).keys.first)
      #expect(key.serial == "987654321")
      #expect(!key.isTOTP && key.digits == 8 && key.counter == 0 && key.algorithm == .sha1)
      #expect(key.secret.copyBytes() == Self.rfcSecret, "\(name)")
    }
  }

  @Test func encryptedWithoutTheKeyIsRefused() {
    #expect { try container("rfc6030-figure6-preshared.pskcxml") } throws: {
      ($0 as? PSKC.Failure)?.message.contains("--key-file") == true
    }
  }

  @Test func aDoctypeIsRefusedBeforeItsEntitiesAreRead() {
    let text = """
      <?xml version="1.0"?><!DOCTYPE a [<!ENTITY b SYSTEM "file:///etc/passwd">]>
      <KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&b;</KeyContainer>
      """
    #expect { try PSKC(Array(text.utf8), secrets: PSKC.Secrets()) } throws: {
      ($0 as? PSKC.Failure)?.message.contains("DOCTYPE") == true
    }
  }

  @Test func base64AsXMLCarriesIt() {
    #expect(Base64.decode(" MTIz\n NDU2 ") == Array("123456".utf8))
    #expect(Base64.decode("MTIzNA==") == Array("1234".utf8))
    #expect(Base64.decode("MT=Iz") == nil)
    #expect(Base64.decode("M!Iz") == nil)
  }
}

struct ImportedTokenTests {
  @Test func aFactoryFreshHOTPTokenKeepsCounterZero() {
    let token = ImportedToken(
      user: "alice", source: "serial 1", kind: .hotp(nextCounter: 0), secret: SensitiveBytes(Array(repeating: 1, count: 20)),
      algorithm: .sha1, digits: 8, origin: .pskc(serial: "1"))
    #expect(token.secretFile().mode == .hotp(nextCounter: 0))
    #expect(token.secretFile().digits == 8)
    #expect(token.token(named: "card").mode == .hotp(nextCounter: 0))
  }

  @Test func aTOTPTokenKeepsItsLastUsedStep() {
    let token = ImportedToken(
      user: "alice", source: "line 1", kind: .totp(step: 60, lastUsedStep: 12345),
      secret: SensitiveBytes(Array(repeating: 1, count: 20)), algorithm: .sha256, digits: 6, origin: .oath)
    let file = token.secretFile()
    #expect(file.usedSteps == [12345] && file.stepSize == 60 && file.algorithm == .sha256 && file.digits == nil)
  }

  @Test func assignments() {
    #expect(Assignment(parsing: "987654321=alice:yubikey-5", separator: "=")
      == Assignment(parsing: "987654321,alice,yubikey-5", separator: ","))
    #expect(Assignment(parsing: "987654321=alice", separator: "=")?.name == nil)
    #expect(Assignment(parsing: "987654321", separator: "=") == nil)
    #expect(Assignment(parsing: "1=../etc", separator: "=") == nil)
    #expect(Assignment(parsing: "1=alice:bad name", separator: "=") == nil)
  }
}

/// Reads a fixture with libc (the test target has no Foundation of its own).
enum Fixture {
  static func read(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = fread(&buffer, 1, buffer.count, file)
      if count <= 0 { break }
      bytes += buffer[0..<count]
    }
    return bytes
  }
}

struct ImportCommandTests {
  @Test func gaNeedsUsersOrAll() {
    #expect(throws: (any Error).self) { try ImportGA.parse([]) }
    #expect(throws: (any Error).self) { try ImportGA.parse(["alice", "--all"]) }
    #expect((try? ImportGA.parse(["--all", "--dry-run"]))?.options.dryRun == true)
  }

  @Test func pskcNeedsAssignments() throws {
    #expect(throws: (any Error).self) { try ImportPSKC.parse(["tokens.pskcxml"]) }
    #expect(throws: (any Error).self) { try ImportPSKC.parse(["tokens.pskcxml", "--assign", "987654321"]) }
    let command = try ImportPSKC.parse(["tokens.pskcxml", "--assign", "1=alice", "--assign", "2=bob:card"])
    #expect(command.assignments == ["1=alice", "2=bob:card"])
  }
}
