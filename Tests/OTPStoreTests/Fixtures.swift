import Foundation
import OTPCore
import OTPStore

/// A private directory tree under /tmp for one test, removed afterwards.
final class Sandbox {
  let root: String

  init() throws {
    root = "/tmp/otpstore-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  func path(_ name: String) -> String { "\(root)/\(name)" }

  @discardableResult
  func write(_ name: String, _ text: String, mode: Int = 0o600, owner: UInt32 = 0) throws -> String {
    let path = path(name)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    guard chown(path, owner, owner == 0 ? 0 : gid(of: owner)) == 0 else { throw POSIXError(.EPERM) }
    return path
  }

  func mkdir(_ name: String, mode: Int = 0o700, owner: UInt32 = 0) throws -> String {
    let path = path(name)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
    guard chown(path, owner, owner == 0 ? 0 : gid(of: owner)) == 0, chmod(path, mode_t(mode)) == 0 else {
      throw POSIXError(.EPERM)
    }
    return path
  }

  func read(_ name: String) throws -> String {
    try String(contentsOfFile: path(name), encoding: .utf8)
  }

  func info(_ name: String) -> stat {
    var info = stat()
    _ = lstat(path(name), &info)
    return info
  }

  func store(_ name: String, account: Account = .root, allowed: UInt32 = 0o600, strict: Bool = true) -> SecretFileStore {
    SecretFileStore(
      location: SecretFileLocation(path: Array(path(name).utf8), account: account, allowedPermissions: allowed, strictOwner: strict))
  }

  private func gid(of uid: UInt32) -> UInt32 { getpwuid(uid)?.pointee.pw_gid ?? uid }
}

/// A throwaway account for identity tests, deleted afterwards.
final class TestUser {
  let name: String
  let account: Account

  init() throws {
    name = "otps\(UUID().uuidString.prefix(6).lowercased())"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/useradd")
    process.arguments = ["--no-create-home", name]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let entry = getpwnam(name) else { throw POSIXError(.EPERM) }
    account = Account(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
  }

  deinit {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/userdel")
    process.arguments = [name]
    try? process.run()
    process.waitUntilExit()
  }
}

let totpFileText = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n12345678\n"
let hotpFileText = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" HOTP_COUNTER 1\n"
