import ArgumentParser
import OTPCore

struct ImportOATH: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "oath",
    abstract: "Import a pam_oath usersfile (HOTP, HOTP/T30, HOTP/T60 lines; hex secrets).",
    discussion: """
      The counter and the last accepted code are kept: the code pam_oath last
      accepted is refused after the import. A password field is ignored.
      A usersfile names no tokens: a user with one line gets it as the token
      `default` (as enroll names it), a user with several lines, or a file
      already, gets them as `oath-1`, `oath-2`... (the first names free).
      """)

  @Argument(help: ArgumentHelp("The usersfile (e.g. /etc/users.oath).", valueName: "file"))
  var file: String

  @OptionGroup var options: ImportOptions

  /// A usersfile of this size holds tens of thousands of users.
  static let maximumSize = 16 << 20

  func run() throws {
    try reportingErrors {
      try requireRoot()
      let contents = try InputFile.read(file, limit: Self.maximumSize)
      var bytes = contents.copyBytes()
      defer { SensitiveBytes.wipe(&bytes) }
      let tokens: [ImportedToken]
      do throws(UsersFile.Failure) { tokens = try UsersFile.parse(bytes, now: System.now) } catch {
        throw CLIError(.dataError, "\(file): line \(error.line): \(error.message); nothing was written")
      }
      guard !tokens.isEmpty else { throw CLIError(.dataError, "\(file): no token lines") }
      try options.run(tokens)
    }
  }
}
