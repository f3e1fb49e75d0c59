import Foundation
import Testing

/// A local user with a home directory, for the rules that depend on who
/// owns a file. Created with useradd and always removed again: call
/// `ThrowawayUser.with { user in ... }`, which removes it also when the
/// body throws or an expectation fails.
struct ThrowawayUser: Sendable {
  let name: String
  let uid: uid_t
  let gid: gid_t
  let home: String

  /// useradd and userdel lock /etc/passwd; parallel tests take turns.
  private static let accountsLock = NSLock()

  static func with<Result>(_ body: (ThrowawayUser) throws -> Result) throws -> Result {
    let user = try create()
    defer { user.remove() }
    return try body(user)
  }

  private static func create() throws -> ThrowawayUser {
    let name = "pamotp" + UUID().uuidString.prefix(8).lowercased()
    _ = try accountsLock.withLock {
      try Shell.check("/usr/sbin/useradd", ["--create-home", "--shell", "/usr/sbin/nologin", name])
    }
    let entry = try #require(getpwnam(name), "useradd made no passwd entry for \(name)")
    return ThrowawayUser(
      name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid, home: String(cString: entry.pointee.pw_dir))
  }

  private func remove() {
    Self.accountsLock.withLock {
      _ = try? Shell.run("/usr/sbin/userdel", ["--remove", "--force", name])
    }
  }

  /// Writes a file in the home directory, owned by `owner` (default: the
  /// user) and `group` (default: the owner's).
  @discardableResult
  func writeHomeFile(
    _ name: String, _ contents: String, mode: mode_t = 0o600, owner: uid_t? = nil, group: gid_t? = nil
  ) throws -> String {
    let path = "\(home)/\(name)"
    try #require(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)), "cannot write \(path)")
    let fileGroup = group ?? (owner == nil ? gid : 0)
    try #require(chown(path, owner ?? uid, fileGroup) == 0, "chown \(path): errno \(errno)")
    try #require(chmod(path, mode) == 0, "chmod \(path): errno \(errno)")
    return path
  }
}
