import ArgumentParser
import OTPCore

struct ImportPSKC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pskc",
    abstract: "Import hardware-token seeds from an RFC 6030 PSKC file, each assigned to a user.",
    discussion: """
      Keys may be plain, encrypted with a pre-shared AES key (--key-file: the
      key in hex, or its raw 16, 24 or 32 bytes), or with a key derived from a
      passphrase (PBKDF2; --passphrase-file). The MAC of every encrypted value
      is checked. Keys of the file that no --assign names are left out. A
      token is stored under its NAME; without one it is `default` when it is
      a new user's only token, and otherwise named after its serial number.
      A counter of 0 (factory-fresh tokens) is kept: the token's first code
      logs in.
      """)

  @Argument(help: ArgumentHelp("The PSKC file.", valueName: "file"))
  var file: String

  @Option(
    name: .customLong("assign"),
    help: ArgumentHelp(
      "Give the token with this serial number to USER, as token NAME (repeatable).", valueName: "SERIAL=USER[:NAME]"))
  var assignments: [String] = []

  @Option(
    name: .customLong("assign-csv"),
    help: ArgumentHelp("Assignments from a file of SERIAL,USER[,NAME] lines.", valueName: "file"))
  var assignmentFile: String?

  @Option(name: .customLong("key-file"), help: ArgumentHelp("The pre-shared key.", valueName: "file"))
  var keyFile: String?

  @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("The passphrase (one line).", valueName: "file"))
  var passphraseFile: String?

  @OptionGroup var options: ImportOptions

  func validate() throws {
    if assignments.isEmpty && assignmentFile == nil { throw ValidationError("give --assign SERIAL=USER or --assign-csv FILE") }
    for assignment in assignments where Assignment(parsing: assignment, separator: "=") == nil {
      throw ValidationError("--assign must be SERIAL=USER or SERIAL=USER:NAME, not \(assignment)")
    }
  }

  func run() throws {
    try reportingErrors {
      try requireRoot()
      var list = assignments.compactMap { Assignment(parsing: $0, separator: "=") }
      if let assignmentFile { list += try Assignment.read(csv: assignmentFile) }
      var secrets = PSKC.Secrets()
      if let keyFile { secrets.preSharedKey = try PreSharedKey.read(keyFile) }
      if let passphraseFile { secrets.passphrase = try Passphrase.read(passphraseFile) }
      let contents = try InputFile.read(file, limit: XMLTree.maximumSize)
      var bytes = contents.copyBytes()
      defer { SensitiveBytes.wipe(&bytes) }
      let container: PSKC
      do throws(PSKC.Failure) { container = try PSKC(bytes, secrets: secrets) } catch {
        throw CLIError(.dataError, "\(file): \(error.message); nothing was written")
      }
      let tokens = try Assignment.tokens(container.keys, list)
      let left = container.keys.count - tokens.count
      if left > 0 { print("\(left) of the \(container.keys.count) keys in the file are assigned to no one: left out.") }
      try options.run(tokens)
    }
  }
}
