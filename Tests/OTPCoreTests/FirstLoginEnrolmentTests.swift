import Testing

@testable import OTPCore

/// The decisions of `enroll=first-login`: who enrols, until when, what a
/// code means. Time and membership are parameters.
struct FirstLoginEnrolmentTests {
  func options(_ arguments: String...) throws(ModuleOptions.ParseError) -> FirstLoginOptions {
    try moduleOptions(arguments).firstLogin
  }

  func moduleOptions(_ arguments: [String]) throws(ModuleOptions.ParseError) -> ModuleOptions {
    try ModuleOptions.parse(arguments.map { Array($0.utf8) })
  }

  func offered(_ options: FirstLoginOptions, at now: Int64 = 1_800_000_000, service: String? = "sshd") -> Bool {
    var all = ModuleOptions()
    all.firstLogin = options
    return offered(all, at: now, service: service)
  }

  func offered(
    _ options: ModuleOptions, at now: Int64 = 1_800_000_000, service: String? = "sshd", ruser: String? = nil,
    member: Bool = true
  ) -> Bool {
    let decision = FirstLoginEnrolment.decide(
      options, at: now, service: service.map { Array($0.utf8) }, requestingUser: ruser.map { Array($0.utf8) },
      isMember: { member })
    if case .enrol = decision { return true }
    return false
  }

  @Test func theOptionsParse() throws {
    let parsed = try options(
      "enroll=first-login", "enroll_group=otp-rollout", "enroll_until=2026-12-31", "enroll_issuer=Example Corp",
      "enroll_label=${USER}@example.com", "enroll_qr=light")
    #expect(parsed.enabled && parsed.lightTerminal)
    #expect(parsed.group == Array("otp-rollout".utf8))
    // 2027-01-01T00:00:00Z
    #expect(parsed.closesAt == 1_798_761_600)
    #expect(parsed.issuer == Array("Example Corp".utf8))
    #expect(try !options().enabled)
  }

  @Test(arguments: [
    "enroll", "enroll=yes", "enroll=", "enroll_until=2026-02-30", "enroll_until=2026-13-01", "enroll_until=26-01-01",
    "enroll_until=2026-1-01", "enroll_group=", "enroll_group=a/b", "enroll_qr=blue", "enroll_issuer=",
    "enroll_label=\u{1B}[31m",
  ])
  func malformedOptionsAreRefused(_ argument: String) {
    #expect(throws: ModuleOptions.ParseError.malformed(Array(argument.utf8))) { try options(argument) }
  }

  @Test func datesAreDaysOfTheGregorianCalendarInUTC() {
    #expect(FirstLoginEnrolment.closingTime(ofDate: Array("1970-01-01".utf8)) == 86_400)
    #expect(FirstLoginEnrolment.closingTime(ofDate: Array("2024-02-29".utf8)) == 1_709_251_200)
    #expect(FirstLoginEnrolment.closingTime(ofDate: Array("2023-02-29".utf8)) == nil)
    #expect(FirstLoginEnrolment.closingTime(ofDate: Array("2000-02-29".utf8)) != nil)
    #expect(FirstLoginEnrolment.closingTime(ofDate: Array("2100-02-29".utf8)) == nil)
  }

  @Test func theWindowClosesAtTheMidnightAfterTheDate() throws {
    let until = try options("enroll=first-login", "enroll_until=2026-12-31")
    #expect(offered(until, at: 1_798_761_599))
    #expect(!offered(until, at: 1_798_761_600))
  }

  @Test func onlyWithTheOptionAndAClockAfter1970() throws {
    #expect(!offered(FirstLoginOptions()))
    #expect(!offered(try options("enroll=first-login"), at: -1))
    #expect(offered(try options("enroll=first-login")))
  }

  @Test func stacksThatChangeIdentityNeverEnrol() throws {
    let enabled = try moduleOptions(["enroll=first-login"])
    for service in FirstLoginEnrolment.refusedServices { #expect(!offered(enabled, service: service)) }
    // sudo with a service of its own (Defaults pam_service=...) still sets PAM_RUSER.
    #expect(!offered(enabled, service: "sudo-custom", ruser: "alice"))
    #expect(offered(enabled, service: "sudo-custom", ruser: ""))
    #expect(offered(enabled, service: "login"))
  }

  @Test func theGroupIsAskedOnlyWhenConfigured() throws {
    #expect(offered(try moduleOptions(["enroll=first-login"]), member: false))
    #expect(!offered(try moduleOptions(["enroll=first-login", "enroll_group=staff"]), member: false))
    #expect(offered(try moduleOptions(["enroll=first-login", "enroll_group=staff"]), member: true))
  }

  /// forward_pass reads the password after this module: no first factor
  /// would have been checked.
  @Test func notWithForwardPass() throws {
    #expect(!offered(try moduleOptions(["enroll=first-login", "forward_pass"])))
  }

  @Test func onlyACodeFromTheAppConfirmsAndItsStepIsSpent() {
    let key = SensitiveBytes(Array("12345678901234567890".utf8))
    var file = FirstLoginEnrolment.secretFile(key: key, scratchCodes: [12_345_678])
    let now: Int64 = 59  // RFC 6238's first SHA1 vector: 94287082, last 6 digits
    #expect(!FirstLoginEnrolment.confirm(SensitiveBytes(Array("12345678".utf8)), file: &file, at: now))
    #expect(!FirstLoginEnrolment.confirm(SensitiveBytes(Array("287083".utf8)), file: &file, at: now))
    #expect(file.usedSteps == [])
    #expect(FirstLoginEnrolment.confirm(SensitiveBytes(Array("287082".utf8)), file: &file, at: now))
    #expect(file.usedSteps == [1])
    #expect(file.rateLimit == RateLimit(attempts: 3, interval: 30) && file.scratchCodes == [12_345_678])
  }

  /// Only a saved enrolment on the real line, with notify=, raises `enrolled`.
  @Test func aSavedEnrolmentRaisesTheEnrolledAlert() throws {
    let notifying = try moduleOptions(["enroll=first-login", "notify=/usr/libexec/pam_otp/notify-email"])
    #expect(FirstLoginEnrolment.alerts(for: .saved, options: notifying) == [.enrolled])
    for end in [FirstLoginEnrolment.End.notConfirmed, .enrolledElsewhere, .notSaved] {
      #expect(FirstLoginEnrolment.alerts(for: end, options: notifying) == [])
    }
    #expect(FirstLoginEnrolment.alerts(for: .saved, options: try moduleOptions(["enroll=first-login"])) == [])
    var decoy = notifying
    decoy.decoy = true
    #expect(FirstLoginEnrolment.alerts(for: .saved, options: decoy) == [])
  }

  @Test func theURIUsesTheIssuerAndLabelOrTheHostAndUser() throws {
    let file = FirstLoginEnrolment.secretFile(key: SensitiveBytes([UInt8](repeating: 0, count: 20)), scratchCodes: [])
    let plain = FirstLoginEnrolment.uri(
      for: file, options: try options("enroll=first-login"), hostName: Array("host1".utf8), user: Array("alice".utf8))
    #expect(plain.text == "otpauth://totp/host1:alice?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=host1")
    let named = FirstLoginEnrolment.uri(
      for: file, options: try options("enroll=first-login", "enroll_issuer=Example", "enroll_label=${USER}@ex.org"),
      hostName: Array("host1".utf8), user: Array("alice".utf8))
    #expect(named.text == "otpauth://totp/Example:alice%40ex.org?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=Example")
    #expect(FirstLoginEnrolment.groupedKey(file.secret) == "AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA")
  }

  @Test func theQRCodeHasAQuietZoneAndEitherPolarity() {
    // A 1-module "symbol", dark: 9 x 9 with the quiet zone, 5 lines.
    let dark = HalfBlockQR.lines(modules: [1], width: 1, lightTerminal: true)
    #expect(dark.count == 5)
    #expect(dark[2] == "    ▀    ")
    let light = HalfBlockQR.lines(modules: [1], width: 1, lightTerminal: false)
    #expect(light[0] == String(repeating: "█", count: 9))
    #expect(light[2] == "████▄████")
  }
}
