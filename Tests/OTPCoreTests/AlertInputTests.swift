import Testing

@testable import OTPCore

/// What the `notify=` program reads on its standard input: every field of
/// every event, in a fixed order, escaped so that no value can end its line
/// or break out of a quoted string.
struct AlertInputTests {
  func context(delivery: String? = "email:alice@example.com", reason: String? = nil) -> Alert.Context {
    Alert.Context(
      user: Array("alice".utf8), service: Array("sshd".utf8), remoteHost: Array("198.51.100.7".utf8),
      tty: Array("ssh".utf8), time: 1_700_000_000, delivery: delivery.flatMap { DeliveryAddress(parsing: Array($0.utf8)) },
      reason: reason.map { Array($0.utf8) })
  }

  func text(_ alert: Alert, _ context: Alert.Context) -> String { String(decoding: alert.input(context), as: UTF8.self) }

  static let common = "user=alice\nservice=sshd\nrhost=198.51.100.7\ntty=ssh\ntime=1700000000\n"

  @Test func eachEventHasItsFields() {
    let mail = "delivery=email:alice@example.com\n"
    #expect(text(.backoff(failures: 3, until: 1_700_000_030), context())
      == "event=backoff\n" + Self.common + mail + "failures=3\nuntil=1700000030\n")
    #expect(text(.failures(count: 2), context()) == "event=failures\n" + Self.common + mail + "failures=2\n")
    #expect(text(.scratch(left: 4), context()) == "event=scratch\n" + Self.common + mail + "scratch_codes_left=4\n")
    #expect(text(.newHost, context(delivery: "push:ops-alice")) == "event=new-host\n" + Self.common + "delivery=push:ops-alice\n")
    #expect(text(.unusable, context(delivery: nil, reason: "/var/lib/pam_otp/alice: line 2: DIGITS: expected 6, 7 or 8"))
      == "event=unusable\n" + Self.common + "delivery=\nreason=/var/lib/pam_otp/alice: line 2: DIGITS: expected 6, 7 or 8\n")
    #expect(text(.enrolled, context(delivery: nil)) == "event=enrolled\n" + Self.common + "delivery=\n")
    #expect(Alert.newHost.event == "new-host")
  }

  @Test func unknownValuesAreEmptyAndEveryFieldIsThere() {
    let bare = Alert.Context(user: Array("bob".utf8), service: nil, remoteHost: nil, tty: nil, time: -5, delivery: nil, reason: nil)
    #expect(text(.unusable, bare) == "event=unusable\nuser=bob\nservice=\nrhost=\ntty=\ntime=0\ndelivery=\nreason=\n")
  }

  /// Values from the client (the host, the tty) or a file (a reason quoting
  /// an option name) cannot add a line or a field, and a script may put
  /// them between double quotes as they are.
  @Test func valuesCannotBreakOutOfTheirLineOrAQuotedString() {
    var hostile = context()
    hostile.remoteHost = Array("h\nevent=unusable\r\u{0}".utf8)
    hostile.tty = Array("a\"b\\c%d é".utf8)
    hostile.reason = Array("line 3: unknown option \"X\"".utf8)
    let input = text(.unusable, hostile)
    #expect(input.contains("\nrhost=h%0Aevent=unusable%0D%00\n"))
    #expect(input.contains("\ntty=a%22b%5Cc%25d %C3%A9\n"))
    #expect(input.contains("\nreason=line 3: unknown option %22X%22\n"))
    #expect(input.split(separator: "\n").count == 8)
    #expect(input.utf8.allSatisfy { $0 == 0x0A || (0x20..<0x7F).contains($0) })
  }
}
