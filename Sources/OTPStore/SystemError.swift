import CShims

/// A failed system call: which operation, and the errno it set.
public struct SystemError: Error, Equatable, Sendable {
  public enum Operation: Sendable {
    case open, stat, read, write, sync, rename, unlink, lock, chown, chmod, mkdir, random, identity
    case spawn, wait, pipe, poll

    var verb: String {
      switch self {
      case .open: "open"
      case .stat: "stat"
      case .read: "read"
      case .write: "write"
      case .sync: "fsync"
      case .rename: "rename"
      case .unlink: "unlink"
      case .lock: "lock"
      case .chown: "chown"
      case .chmod: "chmod"
      case .mkdir: "mkdir"
      case .random: "read random bytes"
      case .identity: "switch file system identity"
      case .spawn: "start"
      case .wait: "wait for"
      case .pipe: "create a pipe for"
      case .poll: "poll"
      }
    }
  }

  public let operation: Operation
  public let code: Int32

  public init(_ operation: Operation, code: Int32) {
    self.operation = operation
    self.code = code
  }

  /// `call`, made again for as long as a signal interrupts it: the one
  /// EINTR loop. Returns the call's result, or throws its error.
  package static func retrying<Result: BinaryInteger>(_ operation: Operation, _ call: () -> Result)
    throws(SystemError) -> Result
  {
    while true {
      let result = call()
      if result >= 0 { return result }
      let error = SystemError.last(operation)
      if error.code != EINTR { throw error }
    }
  }

  /// The current errno, read right after the failed call.
  package static func last(_ operation: Operation) -> SystemError {
    SystemError(operation, code: cshim_errno())
  }

  public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
  public var isReadOnlyFileSystem: Bool { code == EROFS }
  public var isNotFound: Bool { code == ENOENT }

  public var description: String { "cannot \(operation.verb): \(Self.name(of: code))" }

  /// A readable name for the errno values this code meets; others by number.
  static func name(of code: Int32) -> String {
    switch code {
    case EPERM: "operation not permitted"
    case ENOENT: "no such file or directory"
    case EIO: "input/output error"
    case EBADF: "bad file descriptor"
    case EAGAIN: "resource temporarily unavailable"
    case ENOMEM: "out of memory"
    case EACCES: "permission denied"
    case EEXIST: "file exists"
    case EXDEV: "cross-device link"
    case ENOTDIR: "not a directory"
    case EISDIR: "is a directory"
    case EINVAL: "invalid argument"
    case EMFILE, ENFILE: "too many open files"
    case EFBIG: "file too large"
    case ENOSPC: "no space left on device"
    case EROFS: "read-only file system"
    case EMLINK: "too many links"
    case ENAMETOOLONG: "file name too long"
    case ELOOP: "too many levels of symbolic links"
    case EDQUOT: "disk quota exceeded"
    case EINTR: "interrupted"
    case ETIMEDOUT: "timed out"
    case ENXIO: "no such device or address"
    default: "errno \(code)"
    }
  }
}
