/// The options of enrolment at the first login (`enroll=first-login` and
/// its `enroll_*` limits) and their rows in the module's option table.
public struct FirstLoginOptions: Sendable, Equatable {
  /// `enroll=first-login`.
  public var enabled = false
  /// `enroll_group=`: only members (primary or supplementary) enrol.
  public var group: [UInt8]? = nil
  /// `enroll_until=YYYY-MM-DD`: the first second (UTC) at which enrolment
  /// is closed, the midnight after that date.
  public var closesAt: Int64? = nil
  /// `enroll_issuer=`: the issuer the app shows (default: the host name).
  public var issuer: [UInt8]? = nil
  /// `enroll_label=`: the account name the app shows; `${USER}` expands
  /// (default: the user name).
  public var label: [UInt8]? = nil
  /// `enroll_qr=light`: the QR code drawn for a terminal with dark text on
  /// a light background. The default draws it for light text on a dark
  /// background (ssh shows no colour codes in a prompt, so the terminal's
  /// own colours are the ones the camera sees).
  public var lightTerminal = false

  public init() {}
}

extension ModuleOptions {
  /// The rows of `enroll=first-login` and its limits in the option table.
  static let firstLoginTable: [(name: String, apply: Apply)] = [
    ("enroll", { options, value in
      guard let value, value == Array("first-login".utf8) else { return false }
      options.firstLogin.enabled = true
      return true
    }),
    ("enroll_group", { options, value in
      guard let value, UserName.isValid(value) else { return false }
      options.firstLogin.group = value
      return true
    }),
    ("enroll_until", { options, value in
      guard let value, let closesAt = FirstLoginEnrolment.closingTime(ofDate: value) else { return false }
      options.firstLogin.closesAt = closesAt
      return true
    }),
    ("enroll_issuer", { options, value in
      guard let value, isLabelText(value) else { return false }
      options.firstLogin.issuer = value
      return true
    }),
    ("enroll_label", { options, value in
      guard let value, isLabelText(value) else { return false }
      options.firstLogin.label = value
      return true
    }),
    ("enroll_qr", { options, value in
      if value == Array("dark".utf8) {
        options.firstLogin.lightTerminal = false
      } else if value == Array("light".utf8) {
        options.firstLogin.lightTerminal = true
      } else {
        return false
      }
      return true
    }),
  ]

  /// An issuer or label: 1 to 64 bytes, no control characters (it is shown
  /// and put into a URI, where it is percent-encoded).
  private static func isLabelText(_ value: [UInt8]) -> Bool {
    !value.isEmpty && value.count <= 64 && value.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
  }
}
