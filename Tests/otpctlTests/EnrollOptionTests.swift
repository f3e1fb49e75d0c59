import OTPCore
import Testing

@testable import otpctl

/// Every enroll option reaches the settings the secret file is made from.
struct EnrollOptionTests {
  @Test func everyOptionIsParsed() throws {
    let enroll = try Enroll.parse([
      "bob", "--secret-file", "~/.google_authenticator", "--algorithm", "SHA512", "--digits", "8",
      "--period", "60", "--window", "5", "--rate-limit", "4/90", "--allow-reuse", "--scratch-codes", "12",
      "--issuer", "Example Co", "--label", "bob@example.com", "--qr", "none", "--qr-png", "/tmp/q.png",
      "--confirm", "--force", "--json",
    ])
    #expect(enroll.target.user == "bob")
    #expect(enroll.target.secretFile == "~/.google_authenticator")
    #expect(enroll.issuer == "Example Co")
    #expect(enroll.label == "bob@example.com")
    #expect(enroll.qr == .none)
    #expect(enroll.qrPNG == "/tmp/q.png")
    #expect(enroll.confirm && enroll.force && enroll.json)

    let settings = enroll.settings
    #expect(!settings.isHOTP)
    #expect(settings.algorithm == .sha512)
    #expect(settings.digits == 8)
    #expect(settings.period == 60)
    #expect(settings.window == 5)
    #expect(settings.rateLimit == RateLimit(attempts: 4, interval: 90))
    #expect(settings.allowReuse)
    #expect(settings.scratchCodes == 12)
  }

  @Test func hotpIsAFlag() throws {
    #expect(try Enroll.parse(["--hotp"]).settings.isHOTP)
    #expect(try !Enroll.parse(["--totp"]).settings.isHOTP)
  }

  @Test func noRateLimitRemovesTheLimit() throws {
    #expect(try Enroll.parse(["--no-rate-limit"]).settings.rateLimit == nil)
  }

  // The design reads ALGORITHM values in any case; the option does the same.
  @Test(arguments: [("sha1", HashAlgorithm.sha1), ("Sha256", .sha256), ("sha512", .sha512), ("SHA256", .sha256)])
  func algorithmNamesInAnyCase(name: String, expected: HashAlgorithm) throws {
    #expect(try Enroll.parse(["--algorithm", name]).settings.algorithm == expected)
  }

  @Test(arguments: [6, 7, 8])
  func everyDigitCount(digits: Int) throws {
    #expect(try Enroll.parse(["--digits", "\(digits)"]).settings.digits == digits)
  }

  // The bounds of each range are accepted (the product's documented limits).
  @Test(arguments: [
    ["--period", "1"], ["--period", "300"], ["--window", "1"], ["--window", "100"],
    ["--scratch-codes", "0"], ["--scratch-codes", "100"], ["--rate-limit", "1/1"], ["--rate-limit", "100/3600"],
    ["--hotp", "--window", "10"], ["--hotp", "--rate-limit", "3/30"], ["--hotp", "--period", "30"],
  ])
  func boundsAreAccepted(arguments: [String]) throws {
    _ = try Enroll.parse(arguments)
  }

  @Test(arguments: [
    ("3/30", 3, 30), ("1/1", 1, 1), ("100/3600", 100, 3600), ("10/600", 10, 600),
  ])
  func rateLimitText(text: String, attempts: Int, seconds: Int) {
    #expect(Enroll.parseRateLimit(text) == RateLimit(attempts: attempts, interval: seconds))
  }

  @Test(arguments: [
    "", "3", "3/", "/30", "3/30/1", "0/30", "101/30", "3/0", "3/3601", "-1/30", "a/b", " 3/30", "3 /30",
    "3:30", "3/30s",
  ])
  func malformedRateLimitText(text: String) {
    #expect(Enroll.parseRateLimit(text) == nil)
  }
}
