import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// A secret file opened through a checked path, with the facts the checks
/// established: who owns its directory (and so whose identity to use), and
/// its own owner and mode, which a rewrite keeps.
struct OpenedSecretFile {
  let directory: FileDescriptor
  let name: [UInt8]
  let file: FileDescriptor
  let info: stat
  /// nil: act as root (or as the caller); otherwise the user's identity.
  let identity: Account?
  let pathText: String

  /// Walks to the directory and opens the file in it, checking both.
  ///
  /// `deadline` (CLOCK_MONOTONIC nanoseconds) bounds the retries when
  /// concurrent logins keep replacing the file under us.
  static func open(
    _ location: SecretFileLocation, until deadline: Int = cshim_monotonic_ns() + FileLock.defaultTimeout
  ) throws(StoreError) -> OpenedSecretFile {
    let (directories, name) = try location.components()
    let (directory, directoryInfo) = try PathWalk.openParent(of: location, directories: directories)
    let identity: Account? = directoryInfo.st_uid == 0 ? nil : location.account
    return try FileSystemIdentity.run(as: identity) { () throws(StoreError) -> OpenedSecretFile in
      // A concurrent login may replace the file between the look and the
      // open; the open then holds an unlinked file, and we look again. Each
      // replacement is another login's finished update, so only time bounds
      // this, never a count.
      repeat {
        if let opened = try openFile(
          name, in: directory, location: location, directoryOwner: directoryInfo.st_uid, identity: identity)
        {
          return opened
        }
      } while cshim_monotonic_ns() < deadline
      throw .lockTimeout(path: location.pathText)
    }
  }

  /// The file, checked; nil when it was replaced (unlinked) while we
  /// looked, so the caller looks again.
  private static func openFile(
    _ name: [UInt8], in directory: FileDescriptor, location: SecretFileLocation, directoryOwner: UInt32,
    identity: Account?
  ) throws(StoreError) -> OpenedSecretFile? {
    let path = location.pathText
    // Classify before opening: opening a FIFO or a device can block or have
    // side effects, and O_NOFOLLOW alone does not say why it failed.
    var before = stat()
    guard withCString(name, { fstatat(directory.raw, $0, &before, AT_SYMLINK_NOFOLLOW) }) == 0 else {
      let error = SystemError.last(.stat)
      throw error.isNotFound ? .notFound(path: path) : .system(path: path, error)
    }
    if cshim_is_lnk(before.st_mode) != 0 { throw .unsafeFile(path: path, problem: .symlink) }
    if before.st_nlink == 0 { return nil }
    // Checked before opening too, so that a file the user cannot open is
    // reported for what is wrong with it, not as "permission denied".
    try check(before, location: location, directoryOwner: directoryOwner)

    let file: FileDescriptor
    do {
      file = try FileDescriptor.open(at: directory.raw, name, flags: O_RDONLY | O_NONBLOCK)
    } catch {
      if error.isNotFound { throw .notFound(path: path) }
      if error.code == ELOOP { throw .unsafeFile(path: path, problem: .symlink) }
      throw .system(path: path, error)
    }
    let info: stat
    do throws(SystemError) { info = try file.status() } catch { throw .system(path: path, error) }
    // Unlinked since the look: replaced by another login. The caller retries.
    if info.st_nlink == 0 { return nil }
    try check(info, location: location, directoryOwner: directoryOwner)
    return OpenedSecretFile(
      directory: directory, name: name, file: file, info: info, identity: identity, pathText: path)
  }

  /// The file must be a regular file with one link, small, with no more
  /// permission than allowed, owned by the user (or by root in a root-owned
  /// directory).
  static func check(_ info: stat, location: SecretFileLocation, directoryOwner: UInt32) throws(StoreError) {
    let path = location.pathText
    guard cshim_is_reg(info.st_mode) != 0 else { throw .unsafeFile(path: path, problem: .notRegularFile) }
    guard info.st_nlink == 1 else {
      throw .unsafeFile(path: path, problem: .hardLinked(links: UInt64(info.st_nlink)))
    }
    let permissions = UInt32(info.st_mode) & 0o7777
    guard permissions & ~location.allowedPermissions == 0 else {
      throw .unsafeFile(path: path, problem: .permissions(mode: permissions, allowed: location.allowedPermissions))
    }
    if location.strictOwner {
      let owner = info.st_uid
      let allowed = owner == location.account.uid || (owner == 0 && directoryOwner == 0)
      guard allowed else {
        throw .unsafeFile(path: path, problem: .ownedBy(uid: owner, expected: location.account.uid))
      }
    }
    guard info.st_size <= off_t(SecretFileLocation.maximumSize) else {
      throw .unsafeFile(path: path, problem: .tooLarge(limit: SecretFileLocation.maximumSize))
    }
  }

  /// The file's bytes, parsed.
  func parse() throws(StoreError) -> SecretFile {
    let read: SensitiveBytes?
    do throws(SystemError) {
      read = try file.readAll(limit: SecretFileLocation.maximumSize, expectedSize: Int(info.st_size))
    } catch {
      throw .system(path: pathText, error)
    }
    guard let bytes = read else {
      throw .unsafeFile(path: pathText, problem: .tooLarge(limit: SecretFileLocation.maximumSize))
    }
    do {
      return try bytes.withUnsafeBytes { raw throws(SecretFileError) in try SecretFile(parsing: raw) }
    } catch {
      throw .malformed(path: pathText, error: error)
    }
  }

  /// True when the open file still has the size, times and inode it had
  /// when it was read: nothing wrote to it in place since.
  func isUnchanged() -> Bool {
    guard let now = try? file.status() else { return false }
    return now.st_ino == info.st_ino && now.st_dev == info.st_dev && now.st_size == info.st_size
      && now.st_mtim.tv_sec == info.st_mtim.tv_sec && now.st_mtim.tv_nsec == info.st_mtim.tv_nsec
      && now.st_ctim.tv_sec == info.st_ctim.tv_sec && now.st_ctim.tv_nsec == info.st_ctim.tv_nsec
  }

  /// True while the path still names this very file (it was not replaced
  /// between our open and our lock).
  func isStillAtPath() -> Bool {
    var current = stat()
    guard withCString(name, { fstatat(directory.raw, $0, &current, AT_SYMLINK_NOFOLLOW) }) == 0 else {
      return false
    }
    return current.st_ino == info.st_ino && current.st_dev == info.st_dev
  }
}
