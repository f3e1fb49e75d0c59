import ArgumentParser
import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

struct ImportGA: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ga",
    abstract: "Move users' ~/.google_authenticator files into the root-only store, state and all.",
    discussion: """
      The home file is read with the user's identity, as the module reads it,
      and moved whole: used codes, counter, clock skew, scratch codes and
      rate-limit times, so a code used before the move is still refused after
      it. The home file is left alone unless --remove-home-file. A user who
      has a file in the store already gets the home file's token added as
      `ga` (its scratch codes join the user's; the user's rate limit stays).
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

extension StoreError {
  /// The path to the file cannot be walked safely: no usable file can be there.
  var isPathProblem: Bool {
    switch self {
    case .unsafeDirectory, .invalidPath: true
    default: false
    }
  }
}
