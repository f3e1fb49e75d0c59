import Testing

@testable import OTPCore

/// The table of option-line keys that the parser and the writer share.
struct OptionKeyTests {
  @Test func everyKeyHasItsOwnNameAndIsFoundByIt() {
    let names = OptionKey.all.map(\.name)
    #expect(Set(names).count == names.count)
    for key in OptionKey.all {
      #expect(OptionKey(name: ArraySlice(key.nameBytes)) == key)
    }
    #expect(names.contains("LAST0") && names.contains("LAST9"))
    #expect(OptionKey(name: ArraySlice("LAST10".utf8)) == nil)
    #expect(OptionKey(name: ArraySlice("window_size".utf8)) == nil)  // case-sensitive, as GA
  }

  @Test func newFilesHaveTheLinesOfTheGoogleAuthenticatorCLIInItsOrder() {
    #expect(OptionKey.enrolmentOrder.map(\.name) == [
      "RATE_LIMIT", "WINDOW_SIZE", "STEP_SIZE", "DISALLOW_REUSE", "TOTP_AUTH", "HOTP_COUNTER", "DIGITS",
      "ALGORITHM", "DELIVER",
    ])
  }

  @Test func lastLoginSlotsOutsideTheRangeGoToTheNearestSlot() {
    #expect(OptionKey.last(3).name == "LAST3")
    #expect(OptionKey.last(-1).name == "LAST0")
    #expect(OptionKey.last(Int.max).name == "LAST9")
  }

  /// Each key reads back the value it writes, alone in a file.
  @Test(arguments: OptionKey.all.map(\.name))
  func eachKeyReadsWhatItWrites(name: String) throws {
    var file = try parse(
      """
      \(rfcSecretBase32)
      " RATE_LIMIT 3 30 1700000000
      " WINDOW_SIZE 5
      " STEP_SIZE 60
      " DISALLOW_REUSE 56666666
      " TOTP_AUTH
      " TIME_SKEW -2
      " RESETTING_TIME_SKEW 56666667+10 56666668-3
      " DIGITS 8
      " ALGORITHM SHA256
      " FAILURES 2 1700000001
      " BACKOFF_UNTIL 1700000031
      " DELIVER sms:+447700900789
      " DELIVERY_CODE 1700000300 1700000000 \(String(repeating: "ab", count: 16)) \(String(repeating: "cd", count: 32))
      " DELIVERIES 1700000000
      " KNOWN_HOSTS 192.0.2.7 2001:db8::1 host.example
      " TOKEN_NAME phone
      " LAST_USED 1700000000

      """)
    file.lastLogins = LastLogin.slots.map { LastLogin(slot: $0, host: Array("h\($0).example".utf8), time: 17) }
    if name == "HOTP_COUNTER" { file.mode = .hotp(nextCounter: 42) }
    let key = try #require(OptionKey.all.first { $0.name == name })
    // Further tokens are written by the serializer itself (see
    // SecretFileTokenTests); their key has no one-line value.
    guard key != .token else {
      #expect(key.write(file) == nil)
      return
    }
    let value = try #require(key.write(file))
    var reread = SecretFile(secret: SensitiveBytes(Array("12345678901234567890".utf8)), mode: .scratchCodesOnly)
    let fields = ASCII.fields(ArraySlice(value))
    #expect(key.read(&reread, fields))
    #expect(key.write(reread) == value)
  }
}
