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
      add the imported tokens to the user's file beside the tokens it holds,
      nothing because the user holds the token already, or refuse), shows that
      with --dry-run, and otherwise writes each user's file atomically as a
      root-only file in /var/lib/pam_otp (a token is added under the file's
      lock, keeping the user's tokens, scratch codes, rate limit and
      back-off). Several tokens for one user become one file with named
      tokens. A NAME the user's file already gives another secret is refused.
      One refused user stops the import before anything is written; a write
      that fails puts back the users written before it. A second run changes
      nothing.

      With --ldap FILE the tokens become token entries in the fleet's directory
      (the user must be in it): a token whose secret one of the user's entries
      holds is not added again; the next HOTP counter and the last TOTP step
      used are kept; a GA file's scratch codes are not (the directory keeps
      none). A user's entries are created all or none.
      """,
    subcommands: [ImportGA.self, ImportOATH.self, ImportPSKC.self])
}

/// Options every import takes.
struct ImportOptions: ParsableArguments {
  @Flag(name: .customLong("dry-run"), help: "Show what would happen, user by user; write nothing.")
  var dryRun = false

  @Flag(help: "Replace a user's existing secret file with the imported tokens instead of adding them (the old tokens stop working).")
  var replace = false

  @Option(
    name: .customLong("secret-dir"),
    help: ArgumentHelp("The store to write (default /var/lib/pam_otp).", valueName: "dir"))
  var secretDirectory: String?

  @OptionGroup var fleet: FleetOption
}

extension ImportOptions {
  /// Checks the store, plans, and (unless --dry-run) applies; prints the
  /// plan or the outcome user by user. `afterwards` runs only after every
  /// user was written.
  func run(_ tokens: [ImportedToken], afterwards: (ImportPlan) throws(CLIError) -> Void = { _ throws(CLIError) in }) throws(CLIError) {
    if let path = fleet.file {
      if replace { throw CLIError(.usage, "--replace is for the file store; with --ldap, remove the user's tokens first (token remove --ldap)") }
      if secretDirectory != nil { throw CLIError(.usage, "--ldap and --secret-dir exclude each other") }
      let users = try FleetImport.run(tokens, path: path, dryRun: dryRun)
      guard !dryRun else { return }
      // What runs afterwards (removing GA home files) sees the users whose
      // tokens are all in the directory now.
      let entries = users.map { name in
        ImportPlan.Entry(
          userName: name, user: UserDatabase.lookup(name: Array(name.utf8)), tokens: tokens.filter { $0.user == name },
          path: "", action: .unchanged)
      }
      return try afterwards(ImportPlan(directory: "", entries: entries))
    }
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

/// Only root writes the store and reads other users' files.
func requireRoot() throws(CLIError) {
  guard getuid() == 0 else { throw CLIError(.permission, "only root can import into the store") }
}
