import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file the administrator named (a usersfile, a PSKC container, a
/// key or passphrase file): a regular file, at most `limit` bytes, read into
/// memory that is wiped when released.
enum InputFile {
  static func read(_ path: String, limit: Int) throws(CLIError) -> SensitiveBytes {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
    guard descriptor >= 0 else {
      let code = errno
      throw CLIError(code == ENOENT ? .ioError : .init(errno: code), "\(path): \(SystemError(.open, code: code).description)")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw CLIError(.ioError, "\(path): cannot stat") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw CLIError(.usage, "\(path): not a regular file") }
    guard Int(info.st_size) <= limit else {
      throw CLIError(.dataError, "\(path): \(info.st_size) bytes is more than this tool reads (\(limit >> 20) MiB)")
    }
    let contents = SensitiveBytes(capacity: Int(info.st_size) + 1)
    var failure: Int32 = 0
    contents.fill { buffer in
      var total = 0
      while total < buffer.count, let base = buffer.baseAddress {
        let count = Glibc.read(descriptor, base + total, buffer.count - total)
        if count < 0 && errno == EINTR { continue }
        if count < 0 { failure = errno }
        if count <= 0 { break }
        total += count
      }
      return total
    }
    guard failure == 0 else { throw CLIError(.ioError, "\(path): \(SystemError(.read, code: failure).description)") }
    guard contents.count <= Int(info.st_size) else { throw CLIError(.ioError, "\(path): grew while being read") }
    return contents
  }
}

extension CLIError.Kind {
  init(errno code: Int32) {
    self = code == EACCES || code == EPERM ? .permission : .ioError
  }
}
