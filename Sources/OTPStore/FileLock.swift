import CShims

/// An exclusive lock on an open secret file, taken with a bounded wait.
///
/// `flock` locks belong to the open file description, like OFD locks, so two
/// threads of one sshd exclude each other as two processes do. Unlike
/// `fcntl` locks it also works on a descriptor opened read-only, which is all
/// a user can get on their own mode-0400 GA file. The lock goes with the
/// descriptor when it is closed, also when the process is killed.
///
/// The wait blocks in the kernel, which wakes it as soon as the lock is
/// released (see `cshim_flock_exclusive`): every login waiting is served in
/// turn, however many others come and go.
enum FileLock {
  /// A lock is held only for a read-decide-write, never while someone
  /// types; a wait this long means a file system that has stopped.
  static let defaultTimeout = 30_000_000_000  // nanoseconds

  static func lock(_ file: FileDescriptor, timeout: Int) throws(SystemError) {
    let status = cshim_flock_exclusive(file.raw, timeout)
    guard status == 0 else { throw SystemError(.lock, code: status) }
  }

  static func unlock(_ file: FileDescriptor) {
    _ = flock(file.raw, LOCK_UN)
  }
}
