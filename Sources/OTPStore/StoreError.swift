#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// Why a secret file could not be used. Each case names the path and the
/// reason, so a log line or a CLI error tells an administrator what to fix.
public enum StoreError: Error, Sendable {
  /// No secret file: the user is not enrolled.
  case notFound(path: String)
  /// The path itself is unusable (relative, `..`, NUL, empty component).
  case invalidPath(path: String, reason: String)
  /// A directory on the way could be changed by someone else.
  case unsafeDirectory(path: String, problem: PathProblem)
  /// The file exists but is not one the module may trust.
  case unsafeFile(path: String, problem: FileProblem)
  /// The file's contents are not a valid secret file.
  case malformed(path: String, error: SecretFileError)
  case alreadyExists(path: String)
  case lockTimeout(path: String)
  case system(path: String, SystemError)

  public enum PathProblem: Equatable, Sendable {
    case symlink
    case notDirectory
    case ownedBy(uid: UInt32)
    case writableByOthers(mode: UInt32)
  }

  public enum FileProblem: Equatable, Sendable {
    case symlink
    case notRegularFile
    case ownedBy(uid: UInt32, expected: UInt32)
    case permissions(mode: UInt32, allowed: UInt32)
    case hardLinked(links: UInt64)
    case tooLarge(limit: Int)
  }

  public var description: String {
    switch self {
    case .notFound(let path): "\(path): no secret file (user not enrolled)"
    case .invalidPath(let path, let reason): "\(path): invalid path: \(reason)"
    case .unsafeDirectory(let path, let problem): "\(path): unsafe directory: \(problem.description)"
    case .unsafeFile(let path, let problem): "\(path): unsafe secret file: \(problem.description)"
    case .malformed(let path, let error): "\(path): \(error.description)"
    case .alreadyExists(let path): "\(path): a secret file exists already"
    case .lockTimeout(let path): "\(path): timed out waiting for the lock held by another login"
    case .system(let path, let error): "\(path): \(error.description)"
    }
  }

  /// The file system refused a write because it is read-only, full or
  /// over quota: the one case `allow_readonly` is about. Anything else
  /// (permissions, I/O errors, a vanished directory) is a fault to fix.
  public var isWriteRefusedByFileSystem: Bool {
    if case .system(_, let error) = self { return error.isNoSpace || error.isReadOnlyFileSystem }
    return false
  }
}

extension StoreError.PathProblem {
  public var description: String {
    switch self {
    case .symlink: "is a symbolic link"
    case .notDirectory: "is not a directory"
    case .ownedBy(let uid): "is owned by uid \(uid), neither root nor the user"
    case .writableByOthers(let mode): "is writable by group or others (mode \(Octal.text(mode)))"
    }
  }
}

extension StoreError.FileProblem {
  public var description: String {
    switch self {
    case .symlink: "is a symbolic link"
    case .notRegularFile: "is not a regular file"
    case .ownedBy(let uid, let expected): "is owned by uid \(uid), expected uid \(expected)"
    case .permissions(let mode, let allowed):
      "has mode \(Octal.text(mode)), more than the allowed \(Octal.text(allowed))"
    case .hardLinked(let links): "has \(links) hard links"
    case .tooLarge(let limit): "is larger than \(limit / 1024) KiB"
    }
  }
}

/// Octal text for modes, as administrators read them (`0600`).
public enum Octal {
  public static func text(_ mode: UInt32) -> String {
    var digits: [UInt8] = []
    var rest = mode & 0o7777
    for _ in 0..<4 {
      digits.append(UInt8(ascii: "0") + UInt8(rest & 7))
      rest >>= 3
    }
    return String(decoding: digits.reversed(), as: UTF8.self)
  }
}
