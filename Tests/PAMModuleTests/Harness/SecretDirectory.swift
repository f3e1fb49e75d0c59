import Foundation

/// Where a test's secret files live: a root-owned 0700 directory of its own,
/// named by `secret=DIR/${USER}`, so tests never touch /var/lib/pam_otp or
/// each other's files.
final class SecretDirectory: @unchecked Sendable {
  let directory: TemporaryDirectory

  init() throws { directory = try TemporaryDirectory(prefix: "pam_otp-secrets") }

  var path: String { directory.path }
  var option: String { "secret=\(path)/${USER}" }

  @discardableResult
  func enrol(_ user: String, _ token: TestToken, mode: mode_t = 0o600, owner: uid_t = 0, group: gid_t = 0)
    throws -> String
  {
    try directory.write(user, token.fileText, mode: mode, owner: owner, group: group)
  }

  func write(_ user: String, _ contents: String, mode: mode_t = 0o600, owner: uid_t = 0) throws {
    try directory.write(user, contents, mode: mode, owner: owner)
  }

  func contents(_ user: String) throws -> String { try directory.read(user) }

  /// The value of the option line `" KEY ...`, or nil when absent.
  func optionLine(_ key: String, of user: String) throws -> String? {
    let prefix = "\" \(key)"
    for line in try contents(user).split(separator: "\n") where line == prefix || line.hasPrefix(prefix + " ") {
      return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }
    return nil
  }
}
