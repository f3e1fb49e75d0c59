import Foundation

/// The `auth` lines of a test's PAM service. Written into a private
/// configuration directory that `pam_start_confdir` reads, so no test
/// touches /etc/pam.d.
struct PAMStack: Sendable {
  var lines: [String]

  init(_ lines: [String]) { self.lines = lines }

  /// `auth CONTROL /abs/path/libpam_otp.so OPTIONS`.
  static func otp(_ options: [String], control: String = "required") throws -> PAMStack {
    PAMStack([try otpLine(options, control: control)])
  }

  static func otpLine(_ options: [String], control: String = "required") throws -> String {
    (["auth", control, try ModuleUnderTest.requirePath()] + options.map(quoted)).joined(separator: " ")
  }

  /// A line for one of the system's modules, e.g. `auth required pam_permit.so`.
  static func systemLine(_ module: String, _ arguments: [String] = [], control: String = "required") -> String {
    (["auth", control, module] + arguments.map(quoted)).joined(separator: " ")
  }

  /// libpam splits arguments at white space; `[...]` keeps one together
  /// (with `]` escaped inside).
  static func quoted(_ argument: String) -> String {
    guard argument.contains(where: \.isWhitespace) || argument.contains("[") else { return argument }
    return "[" + argument.replacingOccurrences(of: "]", with: "\\]") + "]"
  }

  /// Writes the service file (and an `other` that denies, in case libpam
  /// falls back to it) into `directory`.
  func write(service: String, into directory: TemporaryDirectory) throws {
    try directory.write(service, lines.joined(separator: "\n") + "\n", mode: 0o644)
    try directory.write("other", "auth required pam_deny.so\n", mode: 0o644)
  }
}
