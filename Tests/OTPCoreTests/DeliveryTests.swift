import Testing

@testable import OTPCore

/// Codes by e-mail or SMS: addresses, masking, expiry, resend and the cap
/// on sends, with time injected.
struct DeliveryTests {
  let now: Int64 = 1_700_000_000
  let settings = DeliverySettings(codeLifetime: 300, resendAfter: 30, maximumSends: 3, sendWindow: 3600)
  let salt = [UInt8](repeating: 7, count: 16)

  func file() throws -> SecretFile {
    try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" DELIVER email:alice@example.com\n")
  }

  @Test(arguments: [
    ("email:alice@example.com", "a***@example.com"), ("EMAIL:b.c+tag@mail.example.org", "b***@mail.example.org"),
    ("sms:+447700900789", "+44*****789"), ("sms:+12025550123", "+12*****123"),
  ])
  func masksAddresses(text: String, masked: String) throws {
    let address = try #require(DeliveryAddress(parsing: Array(text.utf8)))
    #expect(address.masked == masked)
    #expect(address.text.lowercased() == text.lowercased())
  }

  @Test(arguments: [
    "alice@example.com", "email:", "email:alice", "email:@example.com", "email:alice@", "email:a@b@example.com",
    "email:-oQ@example.com", "email:a b@example.com", "email:a\"b@example.com", "email:<a@example.com>",
    "email:a@example.com\nBcc: x@y.z", "sms:447700900789", "sms:+44-7700", "sms:+1234567", "sms:+1234567890123456",
    "fax:+447700900789",
  ])
  func refusesAddressesThatCouldInjectOrAreNotAddresses(text: String) {
    #expect(DeliveryAddress(parsing: Array(text.utf8)) == nil)
  }

  @Test func aSentCodeWorksOnceAndOnlyUntilItExpires() throws {
    var file = try file()
    file.recordSentCode(Array("493817".utf8), salt: salt, at: now, settings: settings)
    #expect(file.sentCode?.expires == now + 300)
    var later = file
    #expect(later.useSentCode(Array("493817".utf8), at: now + 299) == .accepted)
    #expect(later.useSentCode(Array("493817".utf8), at: now + 299) == .none)
    var expired = file
    #expect(expired.useSentCode(Array("493817".utf8), at: now + 300) == .expired)
    #expect(expired.sentCode == nil)
    var wrong = file
    #expect(wrong.useSentCode(Array("493818".utf8), at: now + 1) == .wrong)
    #expect(wrong.sentCode != nil)
  }

  @Test func aNewCodeReplacesTheOld() throws {
    var file = try file()
    file.recordSentCode(Array("111111".utf8), salt: salt, at: now, settings: settings)
    file.recordSentCode(Array("222222".utf8), salt: [UInt8](repeating: 8, count: 16), at: now + 40, settings: settings)
    var copy = file
    #expect(copy.useSentCode(Array("111111".utf8), at: now + 41) == .wrong)
    #expect(file.useSentCode(Array("222222".utf8), at: now + 41) == .accepted)
  }

  @Test func resendIsRefusedUntilResendAfterHasPassed() throws {
    var file = try file()
    #expect(file.sendDecision(at: now, settings: settings, requested: false) == .send)
    file.recordSentCode(Array("111111".utf8), salt: salt, at: now, settings: settings)
    #expect(file.sendDecision(at: now + 10, settings: settings, requested: true) == .tooSoon(retryAfter: 20))
    #expect(file.sendDecision(at: now + 30, settings: settings, requested: true) == .send)
  }

  @Test func aNewLoginAsksForACodeThatStillWorks() throws {
    var file = try file()
    file.recordSentCode(Array("111111".utf8), salt: salt, at: now, settings: settings)
    #expect(file.sendDecision(at: now + 200, settings: settings, requested: false) == .useExisting)
    #expect(file.sendDecision(at: now + 300, settings: settings, requested: false) == .send)
  }

  @Test func atMostMaxSendsPerWindowButTheLastCodeStillWorks() throws {
    var file = try file()
    for index: Int64 in 0..<3 { file.recordSentCode(Array("111111".utf8), salt: salt, at: now + index * 40, settings: settings) }
    // The third code (sent at +80) works until +380: ask for it, send none.
    #expect(file.sendDecision(at: now + 200, settings: settings, requested: true) == .tooManyButExistingWorks)
    #expect(file.sendDecision(at: now + 200, settings: settings, requested: false) == .useExisting)
    #expect(file.sendDecision(at: now + 400, settings: settings, requested: true) == .tooMany)
    #expect(file.sendDecision(at: now + 3601, settings: settings, requested: true) == .send)
  }

  @Test func thePolicyAcceptsASentCodeAndCountsAWrongOne() throws {
    var file = try file()
    file.recordSentCode(Array("493817".utf8), salt: salt, at: now, settings: settings)
    let verifier = Verifier(token: file, settings: VerificationSettings(adjustSkew: false))
    var wrong = file
    #expect(verifier.verify(answer: Array("000000".utf8), at: now + 5, remoteHost: nil, state: &wrong) == .refused(.wrongCode))
    #expect(wrong.failures?.count == 1)
    #expect(verifier.verify(answer: Array("493817".utf8), at: now + 5, remoteHost: nil, state: &file) == .accepted(.sentCode))
    #expect(file.sentCode == nil)
    var expired = try self.file()
    expired.recordSentCode(Array("493817".utf8), salt: salt, at: now, settings: settings)
    #expect(Verifier(token: expired).verify(answer: Array("493817".utf8), at: now + 301, remoteHost: nil, state: &expired) == .refused(.expiredCode))
  }

  @Test func theFileKeepsOnlyASaltedHash() throws {
    var file = try file()
    file.recordSentCode(Array("493817".utf8), salt: salt, at: now, settings: settings)
    let written = text(of: file)
    #expect(!written.contains("493817"))
    #expect(written.contains("\" DELIVER email:alice@example.com\n"))
    #expect(written.contains("\" DELIVERY_CODE \(now + 300) \(now) 07070707070707070707070707070707 "))
    #expect(written.contains("\" DELIVERIES \(now)\n"))
    var reread = try parse(written)
    #expect(reread.sentCode == file.sentCode)
    #expect(reread.useSentCode(Array("493817".utf8), at: now + 1) == .accepted)
  }

  @Test func optionsConfigureDelivery() throws {
    let options = try ModuleOptions.parse(
      ["deliver=/usr/local/lib/pam_otp/deliver-email", "code_ttl=120", "resend_after=10", "max_sends=4/600",
       "deliver_timeout=5"].map { Array($0.utf8) })
    #expect(options.deliveryCommand == Array("/usr/local/lib/pam_otp/deliver-email".utf8))
    #expect(options.delivery == DeliverySettings(codeLifetime: 120, resendAfter: 10, maximumSends: 4, sendWindow: 600))
    #expect(options.deliveryTimeout == 5)
    for bad in ["deliver=relative", "code_ttl=0", "max_sends=5", "max_sends=0/60", "resend_after=x", "deliver_timeout=0"] {
      #expect(throws: ModuleOptions.ParseError.malformed(Array(bad.utf8))) { try ModuleOptions.parse([Array(bad.utf8)]) }
    }
  }
}
