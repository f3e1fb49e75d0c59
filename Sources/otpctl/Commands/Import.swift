import ArgumentParser
import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Move users in from google-authenticator, pam_oath or a hardware-token seed file (PSKC).",
    discussion: """
      Each import decides user by user what it will do (create a secret file,
      nothing because the user holds the token already, or refuse), shows that
      with --dry-run, and otherwise writes each user's file atomically as a
      root-only file in /var/lib/pam_otp. One refused user stops the import
      before anything is written; a write that fails puts back the users
      written before it. A second run changes nothing.
      """,
    subcommands: [ImportGA.self, ImportOATH.self, ImportPSKC.self])
}

/// Options every import takes.
struct ImportOptions: ParsableArguments {
  @Flag(name: .customLong("dry-run"), help: "Show what would happen, user by user; write nothing.")
  var dryRun = false

  @Flag(help: "Replace a user's existing secret file with the imported token (the old secret stops working).")
  var replace = false

  @Option(
    name: .customLong("secret-dir"),
    help: ArgumentHelp("The store to write (default /var/lib/pam_otp).", valueName: "dir"))
  var secretDirectory: String?
}

extension ImportOptions {
  /// Checks the store, plans, and (unless --dry-run) applies; prints the
  /// plan or the outcome user by user. `afterwards` runs only after every
  /// user was written.
  func run(_ tokens: [ImportedToken], afterwards: (ImportPlan) throws(CLIError) -> Void = { _ throws(CLIError) in }) throws(CLIError) {
    let directory = try StoreListing.directoryPath(secretDirectory)
    if secretDirectory == nil && !dryRun { try DefaultDirectory.ensure() }
    let plan = ImportPlan.make(tokens, directory: directory, replace: replace)
    if dryRun || plan.isRefused {
      if dryRun { print("Dry run: nothing is written.") }
      for line in plan.lines(dryRun: true) { print(line) }
      if plan.isRefused {
        throw CLIError(plan.refusalKind, "refused for the users above; nothing was written")
      }
      return
    }
    for line in plan.lines(dryRun: false) where line.hasPrefix("    note: ") { print(line) }
    let outcome = plan.apply()
    for line in outcome.lines { print(line) }
    if let failure = outcome.failure { throw failure }
    try afterwards(plan)
  }
}

extension StoreError {
  /// The path to the file cannot be walked safely: no usable file can be there.
  var isPathProblem: Bool {
    switch self {
    case .unsafeDirectory, .invalidPath: true
    default: false
    }
  }
}

/// Only root writes the store and reads other users' files.
func requireRoot() throws(CLIError) {
  guard getuid() == 0 else { throw CLIError(.permission, "only root can import into the store") }
}

// MARK: ga

struct ImportGA: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ga",
    abstract: "Move users' ~/.google_authenticator files into the root-only store, state and all.",
    discussion: """
      The home file is read with the user's identity, as the module reads it,
      and moved whole: used codes, counter, clock skew, scratch codes and
      rate-limit times, so a code used before the move is still refused after
      it. The home file is left alone unless --remove-home-file.
      """)

  @Argument(help: "The users whose home files to move.")
  var users: [String] = []

  @Flag(help: "Every user of the password database who has a ~/.google_authenticator.")
  var all = false

  @Flag(name: .customLong("remove-home-file"), help: "Delete each home file once every user is in the store.")
  var removeHomeFile = false

  @OptionGroup var options: ImportOptions

  func validate() throws {
    if all && !users.isEmpty { throw ValidationError("give user names or --all, not both") }
    if !all && users.isEmpty { throw ValidationError("name the users to move, or give --all") }
  }

  func run() throws {
    try reportingErrors {
      try requireRoot()
      var tokens: [ImportedToken] = []
      var problems: [String] = []
      let records: [UserRecord]
      if all {
        records = GAHomeFiles.allUsers()
      } else {
        var named: [UserRecord] = []
        for name in users {
          guard UserName.isValid(Array(name.utf8)), let record = UserDatabase.lookup(name: Array(name.utf8)) else {
            throw CLIError(.unknownUser, "no such user: \(ASCII.printable(Array(name.utf8)))")
          }
          named.append(record)
        }
        records = named
      }
      for record in records {
        do {
          if let token = try GAHomeFiles.read(record) {
            tokens.append(token)
          } else if !all {
            problems.append("\(record.nameText): no \(GAHomeFiles.location(of: record).pathText)")
          }
        } catch let error as StoreError {
          // With --all, an account whose home the module could not use
          // either (a system account's /bin, a shared /var/mail) has no GA
          // file to move; a file that is there but unusable is a problem.
          if all, error.isPathProblem {
            print("\(record.nameText): skipped: \(error.description)")
          } else {
            problems.append("\(record.nameText): \(error.description)")
          }
        }
      }
      if !problems.isEmpty {
        for problem in problems { print("\(problem)") }
        throw CLIError(.dataError, "cannot read the home files above; nothing was written")
      }
      if tokens.isEmpty {
        print("No user has a \(GAHomeFiles.fileName) file: nothing to import.")
        return
      }
      try options.run(tokens) { plan throws(CLIError) in
        guard removeHomeFile else { return }
        try removeHomeFiles(plan)
      }
    }
  }

  private func removeHomeFiles(_ plan: ImportPlan) throws(CLIError) {
    var failed = false
    for entry in plan.entries {
      guard let user = entry.user else { continue }
      do {
        try GAHomeFiles.remove(user)
        print("\(entry.userName): removed \(GAHomeFiles.location(of: user).pathText)")
      } catch {
        failed = true
        print("\(entry.userName): could not remove \(GAHomeFiles.location(of: user).pathText): \(error.description)")
      }
    }
    if failed { throw CLIError(.ioError, "every user is in the store, but some home files are still there (see above)") }
  }
}

// MARK: oath

struct ImportOATH: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "oath",
    abstract: "Import a pam_oath usersfile (HOTP, HOTP/T30, HOTP/T60 lines; hex secrets).",
    discussion: """
      The counter and the last accepted code are kept: the code pam_oath last
      accepted is refused after the import. A password field is ignored.
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

// MARK: pskc

struct ImportPSKC: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pskc",
    abstract: "Import hardware-token seeds from an RFC 6030 PSKC file, each assigned to a user.",
    discussion: """
      Keys may be plain, encrypted with a pre-shared AES key (--key-file: the
      key in hex, or its raw 16, 24 or 32 bytes), or with a key derived from a
      passphrase (PBKDF2; --passphrase-file). The MAC of every encrypted value
      is checked. Keys of the file that no --assign names are left out.
      """)

  @Argument(help: ArgumentHelp("The PSKC file.", valueName: "file"))
  var file: String

  @Option(
    name: .customLong("assign"),
    help: ArgumentHelp("Give the token with this serial number to USER (repeatable).", valueName: "SERIAL=USER[:NAME]"))
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
