import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// An open file descriptor that closes itself. Every open in this package goes
/// through `openat` relative to an already checked directory, with
/// `O_NOFOLLOW | O_CLOEXEC | O_NOCTTY`, so a symlink or a terminal device can
/// never be opened by accident and no descriptor leaks into a child process.
package final class FileDescriptor {
  package private(set) var raw: Int32

  package init(adopting raw: Int32) { self.raw = raw }

  deinit { close() }

  /// Closes now rather than when released (a pipe's reader sees end of
  /// input only then).
  package func close() {
    if raw >= 0 { _ = CShims.close(raw) }
    raw = -1
  }

  static let safeFlags: Int32 = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY

  static func open(at directory: Int32, _ name: [UInt8], flags: Int32, mode: UInt32 = 0)
    throws(SystemError) -> FileDescriptor
  {
    let raw = withCString(name) { cshim_openat(directory, $0, flags | safeFlags, mode) }
    guard raw >= 0 else { throw .last(.open) }
    return FileDescriptor(adopting: raw)
  }

  /// A directory opened for walking only (`O_PATH`): it needs search
  /// permission, not read permission.
  static func openDirectoryPath(at directory: Int32, _ name: [UInt8]) throws(SystemError) -> FileDescriptor {
    let raw = withCString(name) { cshim_open_directory_path(directory, $0) }
    guard raw >= 0 else { throw .last(.open) }
    return FileDescriptor(adopting: raw)
  }

  func status() throws(SystemError) -> stat {
    var info = stat()
    guard fstat(raw, &info) == 0 else { throw .last(.stat) }
    return info
  }

  /// Reads the whole file from offset 0, refusing more than `limit` bytes.
  /// Returns nil when the file is larger than the limit. The buffer is
  /// sized from `expectedSize` (the file's fstat size): zeroing and wiping
  /// 64 KiB for a 200-byte file was most of a login's cost.
  func readAll(limit: Int, expectedSize: Int) throws(SystemError) -> SensitiveBytes? {
    let guess = min(max(expectedSize, 0) + 1024, limit + 1)
    let first = try read(capacity: guess, stopAfter: expectedSize)
    // Filled to the brim: the file grew since fstat; read it at full size.
    guard first.count == guess, guess < limit + 1 else { return first.count <= limit ? first : nil }
    let full = try read(capacity: limit + 1, stopAfter: limit + 1)
    return full.count <= limit ? full : nil
  }

  /// Reads until end of file, the buffer is full, or `stopAfter` bytes are
  /// in (the size fstat reported: no need for a read that returns nothing).
  private func read(capacity: Int, stopAfter: Int) throws(SystemError) -> SensitiveBytes {
    let buffer = SensitiveBytes(capacity: capacity)
    var failure: SystemError? = nil
    buffer.fill { bytes in
      guard let base = bytes.baseAddress else { return 0 }
      var total = 0
      while total < bytes.count {
        let count: Int
        do throws(SystemError) {
          count = try SystemError.retrying(.read) { pread(raw, base + total, bytes.count - total, off_t(total)) }
        } catch {
          failure = error
          return 0
        }
        if count == 0 { break }
        total += count
        if total >= stopAfter && stopAfter > 0 { break }
      }
      return total
    }
    if let failure { throw failure }
    return buffer
  }

  package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
    guard let base = bytes.baseAddress else { return }
    var written = 0
    while written < bytes.count {
      written += try SystemError.retrying(.write) { write(raw, base + written, bytes.count - written) }
    }
  }

  func sync() throws(SystemError) {
    guard fsync(raw) == 0 else { throw .last(.sync) }
  }
}

/// Calls `body` with `bytes` as a NUL-terminated C string. Names never contain
/// NUL: the caller has validated them.
package func withCString<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result {
  var terminated = bytes
  terminated.append(0)
  // Never empty (it holds at least the NUL), so the base address exists.
  return terminated.withUnsafeBytes { bytes in
    body(bytes.bindMemory(to: CChar.self).baseAddress.unsafelyUnwrapped)
  }
}
