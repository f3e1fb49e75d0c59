import ArgumentParser
import OTPStore

struct Revoke: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Delete a user's secret file.",
    discussion: """
      On a terminal, revoke says what the user's login becomes and asks first;
      a script gives --yes. Without a terminal and without --yes nothing is
      deleted. otpctl cannot see the PAM stack, so it tells both outcomes: on a
      stack line with nullok the user then logs in with the password alone; on
      one without nullok their logins are refused until they are enrolled again.
      """)

  @OptionGroup var named: NamedUserOptions
  @OptionGroup var fleet: FleetOption

  @Flag(help: "Do not ask: delete at once (for scripts).")
  var yes = false

  func run() throws {
    try reportingErrors {
      if let path = fleet.file {
        guard yes || (Terminal.stdinIsTerminal && Terminal.confirm("Delete \(named.user)'s tokens in the directory?"))
        else { throw CLIError(.usage, "give --yes to revoke \(named.user)'s tokens without asking") }
        return try FleetCommands.revoke(path, user: named.user)
      }
      let target = try named.resolve()
      try checkEnrolled(target)
      if !yes {
        guard Terminal.stdinIsTerminal else {
          throw CLIError(
            .usage, "revoke asks for confirmation on a terminal; give --yes to revoke \(named.user) without asking")
        }
        Terminal.error(Self.consequences(user: named.user, path: target.path))
        guard Terminal.confirm("Delete \(named.user)'s secret?") else {
          throw CLIError(.refused, "not confirmed; \(target.path) is unchanged")
        }
      }
      do throws(StoreError) {
        try target.store.remove()
      } catch {
        throw target.failure(error)
      }
      print("Revoked \(named.user): removed \(target.path).")
      print(Self.loginAfterwards(user: named.user))
    }
  }

  /// Fails before anything is asked if there is nothing to delete. A file
  /// that is malformed can still be deleted: that is one reason to revoke.
  private func checkEnrolled(_ target: Target) throws(CLIError) {
    do {
      _ = try target.store.read()
    } catch {
      if case .malformed = error { return }
      throw target.failure(error)
    }
  }

  static func consequences(user: String, path: String) -> String {
    """
    This deletes \(path): \(user)'s authenticator app, scratch codes and
    delivery address stop working at once, and cannot be restored.
    \(loginAfterwards(user: user))
    """
  }

  static func loginAfterwards(user: String) -> String {
    """
    \(user)'s logins then depend on the PAM stack, which otpctl cannot see:
      - a pam_otp line with nullok lets \(user) in with the password alone;
      - a pam_otp line without nullok refuses \(user) until enrolled again.
    """
  }
}
