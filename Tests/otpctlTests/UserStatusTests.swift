import OTPCore
import Testing

@testable import otpctl

/// What `status` derives from a secret file: the back-off (the module's
/// record, or an estimate marked as one) and the last success (from the
/// lines that keep parts of it). Files are text, as the module writes them.
struct UserStatusTests {
  static let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
  static let now: Int64 = 1_700_000_000

  static func file(_ lines: String...) throws -> SecretFile {
    let text = ([secret] + lines).joined(separator: "\n") + "\n"
    return try Array(text.utf8).withUnsafeBytes { bytes throws(SecretFileError) in try SecretFile(parsing: bytes) }
  }

  // MARK: back-off

  @Test func theRecordIsShownNotTheDefaults() throws {
    // backoff=600 backoff_after=1 on the stack: one wrong code, 10 minutes.
    let file = try Self.file("\" TOTP_AUTH", "\" FAILURES 1 \(Self.now - 5)", "\" BACKOFF_UNTIL \(Self.now + 595)")
    #expect(BackoffEnd(file: file, now: Self.now) == .recorded(Self.now + 595))
  }

  @Test func aRecordThatHasPassedMeansNoBackoff() throws {
    // The defaults would say 3 wrong codes call for 30 s, still running.
    let file = try Self.file("\" TOTP_AUTH", "\" FAILURES 3 \(Self.now - 10)", "\" BACKOFF_UNTIL \(Self.now - 1)")
    #expect(BackoffEnd(file: file, now: Self.now) == nil)
  }

  @Test func withoutARecordTheDefaultsGiveAnEstimate() throws {
    let file = try Self.file("\" TOTP_AUTH", "\" FAILURES 4 \(Self.now - 10)")
    // Default options: 30 s after the third wrong code, 60 s after the fourth.
    #expect(BackoffEnd(file: file, now: Self.now) == .estimated(Self.now + 50))
    #expect(BackoffEnd(file: file, now: Self.now)?.source == "default_options")
  }

  @Test func wrongCodesBelowTheDefaultsThresholdGiveNothing() throws {
    let file = try Self.file("\" TOTP_AUTH", "\" FAILURES 2 \(Self.now - 10)")
    #expect(BackoffEnd(file: file, now: Self.now) == nil)
  }

  // MARK: last success

  @Test func aFreshEnrolmentRecordsNoSuccess() throws {
    #expect(LastSuccess(file: try Self.file("\" DISALLOW_REUSE", "\" TOTP_AUTH")) == nil)
  }

  @Test func theNewestLASTEntryGivesTheTimeAndTheHost() throws {
    let file = try Self.file("\" TOTP_AUTH", "\" LAST0 192.0.2.7 \(Self.now - 900)", "\" LAST1 192.0.2.8 \(Self.now - 60)")
    let last = try #require(LastSuccess(file: file))
    #expect(last.time == Self.now - 60 && last.timeSource == .gracePeriod)
    #expect(last.hostText == "192.0.2.8" && last.hostSource == .gracePeriod)
  }

  @Test func theNewestUsedCodeGivesTheTimeWithTheSkewTakenOut() throws {
    // The phone is 2 steps ahead: its code of step 56_666_668 was typed in step 56_666_666.
    let file = try Self.file("\" DISALLOW_REUSE 56666600 56666668", "\" TOTP_AUTH", "\" TIME_SKEW 2", "\" KNOWN_HOSTS a.example b.example")
    let last = try #require(LastSuccess(file: file))
    #expect(last.time == 56_666_666 * 30 && last.timeSource == .usedStep)
    #expect(last.hostText == "b.example" && last.hostSource == .knownHosts)
  }

  @Test func aLASTEntryOfTheSameLoginIsPreferredToItsUsedCode() throws {
    // The code of the step after the login's (the window's upper edge).
    let login = Self.now - 100
    let file = try Self.file(
      "\" DISALLOW_REUSE \(login / 30 + 1)", "\" TOTP_AUTH", "\" LAST0 192.0.2.7 \(login)")
    let last = try #require(LastSuccess(file: file))
    #expect(last.time == login && last.timeSource == .gracePeriod && last.hostText == "192.0.2.7")
  }

  @Test func aNewerUsedCodeWinsOverAnOlderLASTEntry() throws {
    let file = try Self.file("\" DISALLOW_REUSE \(Self.now / 30)", "\" TOTP_AUTH", "\" LAST0 192.0.2.7 \(Self.now - 86_400)")
    let last = try #require(LastSuccess(file: file))
    #expect(last.time == Self.now / 30 * 30 && last.timeSource == .usedStep)
    // Only the older login recorded a host: it is given, marked as the LAST entry's.
    #expect(last.hostText == "192.0.2.7" && last.hostSource == .gracePeriod)
  }

  @Test func hotpKeepsNoTimeButKnownHostsGiveTheHost() throws {
    let last = try #require(LastSuccess(file: try Self.file("\" HOTP_COUNTER 7", "\" KNOWN_HOSTS h1")))
    #expect(last.time == nil && last.hostText == "h1")
  }

  // MARK: JSON

  @Test func theJSONHoldsEveryKeyWithNullForWhatIsMissing() throws {
    let status = UserStatus(user: "alice", path: "/p", file: try Self.file("\" TOTP_AUTH"), now: Self.now)
    guard case .object(let object) = status.json() else { Issue.record("not an object"); return }
    for key in ["last_failure", "backoff_until", "backoff_source", "last_success", "deliver", "rate_limit"] {
      #expect(object[key] == .null, "\(key)")
    }
  }

  @Test func aListingMasksTheDeliveryAddress() throws {
    let file = try Self.file("\" TOTP_AUTH", "\" DELIVER email:alice@example.com")
    let status = UserStatus(user: "alice", path: "/p", file: file, now: Self.now)
    guard case .object(let full) = status.json(), case .object(let masked) = status.json(masked: true) else { return }
    #expect(full["deliver"] == .string("email:alice@example.com"))
    #expect(masked["deliver"] == .string("email:a***@example.com"))
  }

  // MARK: durations

  static let durationCases: [(Int64, String)] = [
    (0, "0 s"), (45, "45 s"), (60, "1 min"), (250, "4 min 10 s"), (7_500, "2 h 5 min"), (7_205, "2 h"),
    (86_430, "1 d"), (273_659, "3 d 4 h"),
  ]

  @Test(arguments: durationCases)
  func durations(seconds: Int64, text: String) {
    #expect(TimeText.duration(seconds) == text)
  }
}
