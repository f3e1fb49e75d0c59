import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// Reads, updates, creates and removes one secret file with the rules of
/// `SecretFileLocation`: a checked path, a checked file, a lock around every
/// read-decide-write, and an atomic replace that is on disk before success
/// is reported.
public struct SecretFileStore: Sendable {
  public let location: SecretFileLocation
  /// How long to wait for another login's lock, in nanoseconds.
  public var lockTimeout: Int = FileLock.defaultTimeout

  public init(location: SecretFileLocation) {
    self.location = location
  }

  /// Reads the file without locking (a replace is atomic, so a reader sees
  /// the old or the new file). For the checks made before prompting.
  public func read() throws(StoreError) -> SecretFile {
    let opened = try OpenedSecretFile.open(location)
    return try FileSystemIdentity.run(as: opened.identity) { () throws(StoreError) -> SecretFile in
      try opened.parse()
    }
  }

  /// The outcome of `update`: what `decide` returned, and whether the new
  /// state reached the disk.
  public struct Update<Result> {
    public let result: Result
    /// Nothing changed, so nothing was written.
    public let unchanged: Bool
    /// The write failed (full disk, read-only file system): the file still
    /// holds the old state.
    public let writeError: StoreError?

    public var isSaved: Bool { unchanged || writeError == nil }
  }

  /// Locks the file, reads it, lets `decide` change it, and writes it back
  /// if anything changed, all before the lock is released. Two concurrent
  /// updates are serialised, so both can never accept the same code.
  public func update<Result>(_ decide: (inout SecretFile) -> Result) throws(StoreError) -> Update<Result> {
    let opened = try openLocked()
    return try FileSystemIdentity.run(as: opened.identity) { () throws(StoreError) -> Update<Result> in
      var file = try opened.parse()
      let before = file.serialized()
      let result = decide(&file)
      let after = file.serialized()
      let unchanged = before.withUnsafeBytes { old in
        after.withUnsafeBytes { new in old.count == new.count && old.elementsEqual(new) }
      }
      guard !unchanged else { return Update(result: result, unchanged: true, writeError: nil) }
      do throws(StoreError) {
        try AtomicReplace.write(
          after, to: opened.name, in: opened.directory, owner: fileOwner(opened.info),
          mode: UInt32(opened.info.st_mode) & 0o7777, placement: .replace, pathText: opened.pathText)
      } catch {
        return Update(result: result, unchanged: false, writeError: error)
      }
      return Update(result: result, unchanged: false, writeError: nil)
    }
  }

  /// Writes a new secret file: owned by `owner` with `mode`, in a directory
  /// that must exist already. Refuses to replace an existing file unless
  /// `replacing`; a replaced file is locked first, so a login that is
  /// updating it finishes before it goes.
  public func create(_ file: SecretFile, owner: Account, mode: UInt32, replacing: Bool) throws(StoreError) {
    let (directories, name) = try location.components()
    let directory = try PathWalk.openParent(of: location, directories: directories)
    let directoryInfo: stat
    do throws(SystemError) { directoryInfo = try directory.status() } catch { throw .system(path: location.pathText, error) }
    let identity: Account? = directoryInfo.st_uid == 0 ? nil : location.account
    var held: OpenedSecretFile? = nil
    if replacing {
      do throws(StoreError) { held = try openLocked() } catch {
        // Nothing to replace, or a file so broken that it cannot be opened:
        // both are what --force is for.
        if case .lockTimeout = error { throw error }
      }
    }
    try FileSystemIdentity.run(as: identity) { () throws(StoreError) in
      try AtomicReplace.write(
        file.serialized(), to: name, in: directory, owner: owner, mode: mode,
        placement: replacing ? .replace : .createOnly, pathText: location.pathText)
    }
    _ = held
  }

  /// Checks that the directory for the file exists and is safe, before
  /// anything is created for it.
  public func checkDirectory() throws(StoreError) {
    let (directories, _) = try location.components()
    _ = try PathWalk.openParent(of: location, directories: directories)
  }

  /// Deletes the secret file (revocation), under its lock.
  public func remove() throws(StoreError) {
    let opened = try openLocked()
    try FileSystemIdentity.run(as: opened.identity) { () throws(StoreError) in
      guard withCString(opened.name, { unlinkat(opened.directory.raw, $0, 0) }) == 0 else {
        throw .system(path: opened.pathText, .last(.unlink))
      }
      _ = fsync(opened.directory.raw)
    }
  }

  /// Opens and locks the file, then makes sure the path still names it: a
  /// login that waited while another replaced the file must read the new
  /// one, never the unlinked old one.
  private func openLocked() throws(StoreError) -> OpenedSecretFile {
    for _ in 0..<64 {
      let opened = try OpenedSecretFile.open(location)
      do throws(SystemError) { try FileLock.lock(opened.file, timeout: lockTimeout) } catch {
        if error.code == ETIMEDOUT { throw .lockTimeout(path: location.pathText) }
        throw .system(path: location.pathText, error)
      }
      if opened.isStillAtPath() { return opened }
    }
    throw .lockTimeout(path: location.pathText)
  }

  /// A rewrite keeps the file's owner; nil when it is ours already.
  private func fileOwner(_ info: stat) -> Account? {
    info.st_uid == geteuid() ? nil : Account(uid: info.st_uid, gid: info.st_gid)
  }
}
