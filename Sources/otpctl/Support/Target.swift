import ArgumentParser
import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// Options every command that touches a secret takes.
struct TargetOptions: ParsableArguments {
  @Argument(help: "The user (default: you).")
  var user: String?

  @Option(
    name: .customLong("secret-file"),
    help: ArgumentHelp(
      "Use this secret file instead of /var/lib/pam_otp/USER.",
      discussion: "`~`, ${USER} and ${HOME} expand as in the module's secret= option.",
      valueName: "path"))
  var secretFile: String?
}

/// For commands that must name the user (revoke, unlock, deliver).
struct NamedUserOptions: ParsableArguments {
  @Argument(help: "The user.")
  var user: String

  @Option(name: .customLong("secret-file"), help: ArgumentHelp("Use this secret file.", valueName: "path"))
  var secretFile: String?

  func resolve() throws(CLIError) -> Target {
    try Target.resolve(user: user, secretFile: secretFile)
  }
}

/// The user a command acts for and where their secret lives.
struct Target {
  let user: UserRecord
  let location: SecretFileLocation
  /// True for /var/lib/pam_otp/USER, false for a --secret-file.
  let isDefaultLocation: Bool

  var store: SecretFileStore { SecretFileStore(location: location) }
  var path: String { location.pathText }

  /// For commands whose user is a required argument.
  static func resolve(user: String, secretFile: String?) throws(CLIError) -> Target {
    var options = TargetOptions()
    options.user = user
    options.secretFile = secretFile
    return try resolve(options)
  }

  /// A store error as the CLI reports it: a missing file means "not enrolled".
  func failure(_ error: StoreError) -> CLIError {
    if case .notFound = error { return CLIError(.notEnrolled, "\(user.nameText) is not enrolled (no \(path))") }
    return CLIError(error)
  }

  static func resolve(_ options: TargetOptions) throws(CLIError) -> Target {
    let callerUID = getuid()
    let name: [UInt8]
    if let user = options.user {
      name = Array(user.utf8)
    } else {
      guard let caller = UserDatabase.lookup(uid: callerUID) else {
        throw CLIError(.unknownUser, "cannot find your own user name (uid \(callerUID))")
      }
      name = caller.name
    }
    guard UserName.isValid(name) else {
      throw CLIError(.usage, "invalid user name \"\(ASCII.string(name))\"")
    }
    guard let user = UserDatabase.lookup(name: name) else {
      throw CLIError(.unknownUser, "no such user: \(ASCII.string(name))")
    }
    guard callerUID == 0 || user.account.uid == callerUID else {
      throw CLIError(.permission, "only root can manage another user's secret (\(user.nameText))")
    }
    let path: [UInt8]
    if let secretFile = options.secretFile {
      path = try expand(secretFile, for: user)
    } else {
      path = Array("\(SecretFileLocation.defaultDirectory)/\(user.nameText)".utf8)
    }
    return Target(
      user: user, location: SecretFileLocation(path: path, account: user.account),
      isDefaultLocation: options.secretFile == nil)
  }

  private static func expand(_ text: String, for user: UserRecord) throws(CLIError) -> [UInt8] {
    var template = Array(text.utf8)
    let expandable = template.first == UInt8(ascii: "~") || text.contains("${")
    if !expandable && template.first != UInt8(ascii: "/") {
      template = Array(((System.currentDirectory ?? "") + "/" + text).utf8)
    }
    do {
      return try SecretPathTemplate.expand(template, user: user.name, home: user.home)
    } catch {
      throw CLIError(.usage, "--secret-file must be an absolute path: \(text)")
    }
  }
}
