import Testing

@testable import OTPCore

struct OTPAuthURITests {
  let secret = SensitiveBytes(Array("12345678901234567890".utf8))

  @Test func buildsTheMinimalTOTPURI() {
    let uri = OTPAuthURI(kind: .totp(period: 30), issuer: "example.com", account: "alice", secret: secret)
    #expect(uri.text
      == "otpauth://totp/example.com:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=example.com")
  }

  @Test func writesNonDefaultParametersOnly() {
    let uri = OTPAuthURI(
      kind: .totp(period: 60), issuer: "h", account: "a", secret: secret, algorithm: .sha512, digits: 8)
    #expect(uri.text.hasSuffix("&issuer=h&algorithm=SHA512&digits=8&period=60"))
    let hotp = OTPAuthURI(kind: .hotp(counter: 0), issuer: nil, account: "a", secret: secret)
    #expect(hotp.text == "otpauth://hotp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0")
  }

  static let awkwardNames = [
    "alice", "a:b", "a/b", "a#b", "a+b", "a&b=c?d", "with space", "jörg@müller.de", "日本",
    "%41", "trailing ", "emoji 🔑",
  ]

  @Test(arguments: awkwardNames)
  func awkwardNamesRoundTrip(name: String) throws {
    let uri = OTPAuthURI(kind: .totp(period: 30), issuer: "Iss: \(name)", account: name, secret: secret)
    let text = uri.text
    for reserved in [" ", "#", "+", "&", "="] {
      #expect(!text.dropFirst("otpauth://totp/".count).split(separator: "?")[0].contains(reserved))
    }
    let parsed = try OTPAuthURI(parsing: text)
    #expect(parsed.account == name.drop(while: { $0 == " " }).description)
    #expect(parsed.issuer == "Iss: \(name)")
    #expect(parsed.secret.copyBytes() == secret.copyBytes())
  }

  /// Found by the fuzzer: without an issuer, a colon in the account was
  /// read back as the issuer separator.
  @Test func anAccountWithAColonAndNoIssuerRoundTrips() throws {
    let uri = OTPAuthURI(kind: .totp(period: 30), issuer: nil, account: "a:b", secret: secret)
    #expect(uri.text.hasPrefix("otpauth://totp/:a%3Ab?"))
    let parsed = try OTPAuthURI(parsing: uri.text)
    #expect(parsed.account == "a:b")
    #expect(parsed.issuer == nil)
  }

  @Test func parsesWhatAppsAndOtherToolsWrite() throws {
    let google = try OTPAuthURI(
      parsing: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
    #expect(google.issuer == "Example")
    #expect(google.account == "alice@google.com")
    #expect(google.kind == .totp(period: 30))
    #expect(google.secret.copyBytes() == Array("Hello!\u{DE}\u{AD}\u{BE}\u{EF}".utf8).prefix(6) + [0xDE, 0xAD, 0xBE, 0xEF])

    let encodedColon = try OTPAuthURI(parsing: "otpauth://hotp/ACME%20Co%3Ajohn?secret=jbswy3dpehpk3pxp&counter=7&digits=8&algorithm=sha256")
    #expect(encodedColon.issuer == "ACME Co")
    #expect(encodedColon.account == "john")
    #expect(encodedColon.kind == .hotp(counter: 7))
    #expect(encodedColon.digits == 8)
    #expect(encodedColon.algorithm == .sha256)

    let spaced = try OTPAuthURI(parsing: "otpauth://totp/ACME:%20john?secret=JBSWY3DPEHPK3PXP&period=45&image=x")
    #expect(spaced.account == "john")
    #expect(spaced.kind == .totp(period: 45))
  }

  @Test func rejectsBrokenURIs() {
    let cases: [(String, OTPAuthURI.ParseError)] = [
      ("http://totp/a?secret=JBSWY3DP", .notOTPAuth),
      ("otpauth://motp/a?secret=JBSWY3DP", .unknownType),
      ("otpauth://totp/?secret=JBSWY3DP", .missingLabel),
      ("otpauth://totp/a", .missingSecret),
      ("otpauth://totp/a?issuer=x", .missingSecret),
      ("otpauth://totp/a?secret=JBSWY3D1", .invalidSecret(.invalidCharacter(offset: 7, byte: UInt8(ascii: "1")))),
      ("otpauth://totp/a?secret=JBSWY3DP&digits=9", .invalidParameter(.digits)),
      ("otpauth://totp/a?secret=JBSWY3DP&period=0", .invalidParameter(.period)),
      ("otpauth://totp/a?secret=JBSWY3DP&algorithm=MD5", .invalidParameter(.algorithm)),
      ("otpauth://hotp/a?secret=JBSWY3DP", .missingCounter),
      ("otpauth://totp/a%4?secret=JBSWY3DP", .badEscape(part: .label)),
      ("otpauth://totp/X:a?secret=JBSWY3DP&issuer=Y", .issuerMismatch),
    ]
    for (text, error) in cases {
      #expect(throws: error, "\(text)") { try OTPAuthURI(parsing: text) }
    }
  }
}
