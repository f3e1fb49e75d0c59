import OTPCore
import Testing

@testable import otpctl

/// `otpctl enroll` without options must produce what GA's own CLI produces
/// by default (TOTP, SHA1, 6 digits, 30 s, window 3, 3 attempts per 30 s,
/// reuse refused, 5 scratch codes), so every authenticator app can read it.
struct EnrollDefaultsTests {
  @Test func parsedOptionsHaveTheDocumentedDefaults() throws {
    let enroll = try Enroll.parse(["alice"])
    #expect(enroll.target.user == "alice")
    #expect(enroll.target.secretFile == nil)
    #expect(enroll.codes.mode == .totp)
    #expect(enroll.codes.algorithm == "SHA1")
    #expect(enroll.codes.digits == 6)
    #expect(enroll.codes.period == 30)
    #expect(enroll.codes.window == 3)
    #expect(enroll.rateLimit == nil)
    #expect(!enroll.noRateLimit)
    #expect(!enroll.codes.allowReuse)
    #expect(enroll.scratchCodes == 5)
    #expect(enroll.issuer == nil)
    #expect(enroll.label == nil)
    #expect(enroll.qr == .terminal)
    #expect(enroll.qrPNG == nil)
    #expect(!enroll.confirm)
    #expect(!enroll.force)
    #expect(!enroll.json)
  }

  @Test func defaultSettingsMatchGoogleAuthenticator() throws {
    let settings = try Enroll.parse(["alice"]).settings
    #expect(!settings.isHOTP)
    #expect(settings.algorithm == .sha1)
    #expect(settings.digits == 6)
    #expect(settings.period == 30)
    #expect(settings.window == 3)
    #expect(settings.rateLimit == RateLimit(attempts: 3, interval: 30))
    #expect(!settings.allowReuse)
    #expect(settings.scratchCodes == 5)
  }

  @Test func theUserIsOptional() throws {
    // `otpctl enroll` alone enrols the caller.
    let enroll = try Enroll.parse([])
    #expect(enroll.target.user == nil)
  }
}
