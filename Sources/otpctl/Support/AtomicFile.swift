import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// A file written where the user asked: a QR code only its owner can read
/// (it holds the secret), or metrics that node_exporter reads (0644).
/// Often that is a directory others can write, where the name may be
/// swapped at any moment. So the directory is opened once and everything
/// after goes through that descriptor: a new file beside the name
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`), renamed over it. A symlink or hard
/// link at the name can neither redirect nor truncate another file, and a
/// reader of the name sees the old file or the new one, never half of one.
enum AtomicFile {
  @discardableResult
  static func write(_ bytes: SensitiveBytes, to path: String, mode: mode_t = 0o600) throws(CLIError) -> CreatedFile {
    let (directoryPath, name) = try split(path)
    let directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { throw failure(path, .open, errno) }
    defer { close(directory) }

    // An unpredictable name, so no one can place a file there first.
    let suffix = try Enrolment.randomBytes(4).map { String($0, radix: 16) }.joined()
    let temporary = ".otpctl-\(suffix).tmp"
    let descriptor = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw failure(path, .open, errno) }
    // Owns the file's descriptor from here on, and closes it.
    let created = CreatedFile(descriptor: descriptor, directory: dup(directory), name: name)
    var failed: (SystemError.Operation, Int32)? = nil
    if created.directory < 0 {
      failed = (.open, errno)
    } else if fchmod(descriptor, mode) != 0 {
      failed = (.chmod, errno)
    } else if let error = bytes.withUnsafeBytes({ writeAll(descriptor, $0) }) {
      failed = (.write, error)
    } else if fsync(descriptor) != 0 {
      failed = (.sync, errno)
    }
    if let (operation, code) = failed {
      unlinkat(directory, temporary, 0)
      throw failure(path, operation, code)
    }
    var existing = stat()
    if fstatat(directory, name, &existing, AT_SYMLINK_NOFOLLOW) == 0, (existing.st_mode & S_IFMT) != S_IFREG {
      unlinkat(directory, temporary, 0)
      // A rename would put a file in the place of a device, a FIFO or a
      // directory: `--output /dev/null` must not turn /dev/null into a file.
      let what = (existing.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a regular file"
      throw CLIError(.ioError, "\(path): is \(what); not replacing it")
    }
    guard renameat(directory, temporary, directory, name) == 0 else {
      let code = errno
      unlinkat(directory, temporary, 0)
      throw failure(path, .rename, code)
    }
    return created
  }

  /// The directory to open and the name in it; a path that names no file
  /// (`dir/`, `.`, `..`) is refused.
  private static func split(_ path: String) throws(CLIError) -> (directory: String, name: String) {
    let slash = path.lastIndex(of: "/")
    let name = String(slash.map { path[path.index(after: $0)...] } ?? path[...])
    guard !name.isEmpty, name != ".", name != ".." else {
      throw CLIError(.usage, "\(path): not a file name")
    }
    let directory = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
    return (directory, name)
  }

  /// Writes everything, retrying after a signal; the errno, or nil.
  private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let base = bytes.baseAddress else { return nil }
    var offset = 0
    while offset < bytes.count {
      let count = Glibc.write(descriptor, base + offset, bytes.count - offset)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return count == 0 ? EIO : errno }
      offset += count
    }
    return nil
  }

  private static func failure(_ path: String, _ operation: SystemError.Operation, _ code: Int32) -> CLIError {
    CLIError(.system(path: path, SystemError(operation, code: code)))
  }
}

/// A file this run created, held open, with the directory it was created
/// in (also held open) and its name there. Removing it removes that file
/// only: if the name has since been given to anything else (a directory, a
/// symlink, another file), nothing happens. The open descriptor keeps the
/// file's inode from being reused, so comparing inodes is exact.
final class CreatedFile {
  private let descriptor: Int32
  fileprivate let directory: Int32
  private let name: String

  fileprivate init(descriptor: Int32, directory: Int32, name: String) {
    self.descriptor = descriptor
    self.directory = directory
    self.name = name
  }

  deinit {
    close(descriptor)
    if directory >= 0 { close(directory) }
  }

  /// Unlinks the name if it still names the file that was created: a
  /// regular file on the same device with the same inode. Never recursive,
  /// never through a symlink, never by a path looked up again from the root.
  func remove() {
    var created = stat()
    var named = stat()
    guard fstat(descriptor, &created) == 0, fstatat(directory, name, &named, AT_SYMLINK_NOFOLLOW) == 0,
      (named.st_mode & S_IFMT) == S_IFREG, named.st_dev == created.st_dev, named.st_ino == created.st_ino
    else { return }
    unlinkat(directory, name, 0)
  }
}
