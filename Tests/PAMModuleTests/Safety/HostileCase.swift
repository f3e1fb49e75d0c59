import CPAM
import Foundation
import Testing

/// One row of the hostile-input table: what to set up, and what the module
/// must answer (the PAM result) and log (a substring of its decision line).
struct HostileCase: Sendable, CustomTestStringConvertible {
  let name: String
  let expected: PAMStatus
  let reason: String
  /// How many times "Verification code: " is asked. A secret file that
  /// cannot be used, or a user that does not exist, is still asked for a
  /// code, so the prompts reveal nothing; a bad module line asks nothing.
  let codePrompts: Int
  let arrange: @Sendable (HostileScene) throws -> HostileAttempt

  init(
    _ name: String, _ expected: PAMStatus, _ reason: String, codePrompts: Int = 1,
    _ arrange: @escaping @Sendable (HostileScene) throws -> HostileAttempt
  ) {
    self.name = name
    self.expected = expected
    self.reason = reason
    self.codePrompts = codePrompts
    self.arrange = arrange
  }

  var testDescription: String { name }
}

/// What every case starts from: a private root-owned 0700 directory for
/// secret files (`secret=DIR/${USER}`) and a fresh TOTP token whose right
/// code is known. Nothing is enrolled until a case says so.
final class HostileScene {
  let secrets: SecretDirectory
  let token: TestToken
  let code: String

  init() throws {
    secrets = try SecretDirectory()
    token = TestToken()
    code = token.code(at: TOTPClock.freshStep(period: token.period))
  }

  var file: String { "\(secrets.path)/nobody" }

  /// What is at nobody's path, looked at without following a link or
  /// opening a FIFO or device: a regular file's bytes, else its kind.
  func fileState() -> String {
    var info = stat()
    guard lstat(file, &info) == 0 else { return "nothing" }
    guard info.st_mode & S_IFMT == S_IFREG else {
      return "mode \(String(info.st_mode, radix: 8)) inode \(info.st_ino) device \(info.st_rdev)"
    }
    // read(2), not FileManager: Foundation leaks its buffer on an empty file.
    let descriptor = open(file, O_RDONLY | O_NOFOLLOW)
    guard descriptor >= 0 else { return "unreadable" }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count > 0 else { break }
      bytes += buffer[0..<count]
    }
    return Data(bytes).base64EncodedString()
  }

  /// `nobody` enrolled with the token (root-owned, 0600), plus extra lines.
  func enrol(extraLines: [String] = []) throws {
    try secrets.write("nobody", token.fileText + extraLines.map { $0 + "\n" }.joined())
  }

  /// Writes `bytes` as nobody's secret file, root-owned, 0600.
  func writeRaw(_ bytes: [UInt8]) throws {
    try #require(FileManager.default.createFile(atPath: file, contents: Data(bytes), attributes: [.posixPermissions: 0o600]))
  }

  /// A directory inside the secret directory, with owner and mode.
  @discardableResult
  func directory(_ name: String, mode: mode_t = 0o700, owner: uid_t = 0) throws -> String {
    let path = "\(secrets.path)/\(name)"
    try #require(mkdir(path, 0o700) == 0, "mkdir \(path): errno \(errno)")
    try #require(chown(path, owner, 0) == 0 && chmod(path, mode) == 0, "chown/chmod \(path): errno \(errno)")
    return path
  }

  /// The usual attempt: this module line, user nobody, the right code.
  func attempt(_ options: [String] = [], answer: String? = nil) -> HostileAttempt {
    HostileAttempt(options: [secrets.option] + options, replies: [.answer(answer ?? code)])
  }
}

/// The transaction a case runs.
struct HostileAttempt {
  var options: [String]
  /// nil: pam_start without a user (libpam asks for one).
  var user: String? = "nobody"
  var replies: [ScriptedConversation.Reply]
  var items: [Int32: String] = [:]
}
