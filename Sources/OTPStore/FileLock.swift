import CShims

/// An exclusive lock on an open secret file, taken with a bounded wait.
///
/// `flock` locks belong to the open file description, like OFD locks, so two
/// threads of one sshd exclude each other as two processes do. Unlike
/// `fcntl` locks it also works on a descriptor opened read-only, which is all
/// a user can get on their own mode-0400 GA file. The lock goes with the
/// descriptor when it is closed, also when the process is killed.
enum FileLock {
  static let defaultTimeout = 10_000_000_000  // nanoseconds

  static func lock(_ file: FileDescriptor, timeout: Int) throws(SystemError) {
    let deadline = cshim_monotonic_ns() + timeout
    var pause = 200_000  // 0.2 ms, doubling to 25 ms
    while true {
      if flock(file.raw, LOCK_EX | LOCK_NB) == 0 { return }
      let error = SystemError.last(.lock)
      guard error.code == EWOULDBLOCK || error.code == EINTR else { throw error }
      guard cshim_monotonic_ns() < deadline else { throw SystemError(.lock, code: ETIMEDOUT) }
      cshim_sleep_ns(pause)
      pause = min(pause * 2, 25_000_000)
    }
  }

  static func unlock(_ file: FileDescriptor) {
    _ = flock(file.raw, LOCK_UN)
  }
}
