import Foundation
import Testing

/// A directory under /tmp, owned by root with mode 0700 (mkdtemp), removed
/// with everything in it when the last reference goes.
final class TemporaryDirectory: @unchecked Sendable {
  let path: String

  init(prefix: String = "pam_otp-tests") throws {
    var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
    path = try #require(created, "mkdtemp failed: errno \(errno)")
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  func file(_ name: String) -> String { "\(path)/\(name)" }

  /// Writes `contents` and then sets owner and mode (in that order, so that
  /// chown cannot clear a set-id bit the test asked for).
  @discardableResult
  func write(_ name: String, _ contents: String, mode: mode_t = 0o600, owner: uid_t = 0, group: gid_t = 0)
    throws -> String
  {
    let path = file(name)
    try #require(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)), "cannot write \(path)")
    try #require(chown(path, owner, group) == 0, "chown \(path): errno \(errno)")
    try #require(chmod(path, mode) == 0, "chmod \(path): errno \(errno)")
    return path
  }

  func read(_ name: String) throws -> String {
    try String(contentsOfFile: file(name), encoding: .utf8)
  }

  func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

  /// Owner and mode bits of a file in this directory, without following links.
  func status(_ name: String) throws -> (owner: uid_t, mode: mode_t) {
    var info = stat()
    try #require(lstat(file(name), &info) == 0, "lstat \(file(name)): errno \(errno)")
    return (info.st_uid, info.st_mode & 0o7777)
  }

  /// The inode number: a replaced file (rename over it) gets a new one.
  func inode(_ name: String) throws -> ino_t {
    var info = stat()
    try #require(lstat(file(name), &info) == 0, "lstat \(file(name)): errno \(errno)")
    return info.st_ino
  }
}
