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
  /// the old or the new file).
  public func read() throws(StoreError) -> SecretFile {
    try snapshot().file
  }

  /// The file as read before a prompt, with the open file kept, so that the
  /// update after the answer need not walk, open, read and parse it again
  /// when nothing has changed in between.
  public struct Snapshot {
    public let file: SecretFile
    let opened: OpenedSecretFile
  }

  public func snapshot() throws(StoreError) -> Snapshot {
    let opened = try OpenedSecretFile.open(location)
    let file = try FileSystemIdentity.run(as: opened.identity) { () throws(StoreError) -> SecretFile in
      try opened.parse()
    }
    return Snapshot(file: file, opened: opened)
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
  ///
  /// With the `snapshot` read before the prompt, the file is locked through
  /// the descriptor kept then; its parsed contents are reused if the path
  /// still names it and nothing wrote to it since (a writer always replaces
  /// the file, so a change shows as a new inode or new times).
  ///
  /// Without `commit` the update is rehearsed: the same lock, the same
  /// decision, the new contents written to the temporary file and synced,
  /// and then removed instead of put in place. The `decoy` line does this
  /// so that it takes as long as the real line and changes nothing.
  public func update<Result>(
    from snapshot: Snapshot? = nil, commit: Bool = true, _ decide: (inout SecretFile) -> Result
  ) throws(StoreError) -> Update<Result> {
    let (opened, reused) = try lockedFile(reusing: snapshot)
    // The snapshot's descriptor outlives this call: its lock must not, or a
    // later update in the same login would wait for it.
    defer { FileLock.unlock(opened.file) }
    return try FileSystemIdentity.run(as: opened.identity) { () throws(StoreError) -> Update<Result> in
      var file: SecretFile
      if let reused { file = reused } else { file = try opened.parse() }
      let result = decide(&file)
      guard file.hasChanges else { return Update(result: result, unchanged: true, writeError: nil) }
      do throws(StoreError) {
        try AtomicReplace.write(
          file.serialized(), to: opened.name, in: opened.directory, owner: fileOwner(opened.info),
          mode: UInt32(opened.info.st_mode) & 0o7777, placement: commit ? .replace : .rehearse, underLock: true,
          pathText: opened.pathText)
      } catch {
        return Update(result: result, unchanged: false, writeError: error)
      }
      return Update(result: result, unchanged: false, writeError: nil)
    }
  }

  /// The snapshot's file, locked, when it is still the file at the path
  /// (with its parsed contents if unchanged); otherwise the file opened anew.
  private func lockedFile(reusing snapshot: Snapshot?) throws(StoreError) -> (OpenedSecretFile, SecretFile?) {
    let deadline = cshim_monotonic_ns() + lockTimeout
    if let snapshot {
      do throws(SystemError) {
        try FileLock.lock(snapshot.opened.file, timeout: lockTimeout)
      } catch {
        if error.code == ETIMEDOUT { throw .lockTimeout(path: location.pathText) }
        throw .system(path: location.pathText, error)
      }
      if snapshot.opened.isStillAtPath() && snapshot.opened.isUnchanged() {
        return (snapshot.opened, snapshot.file)
      }
      // Replaced or written in place: open it anew, with every check. Our
      // own lock must go first: flock locks belong to the open file, so a
      // second open of the same file would wait for the first.
      FileLock.unlock(snapshot.opened.file)
    }
    return (try openLocked(until: deadline), nil)
  }

  /// Writes a new secret file: owned by `owner` with `mode`, in a directory
  /// that must exist already. Refuses to replace an existing file unless
  /// `replacing`; a replaced file is locked first, so a login that is
  /// updating it finishes before it goes.
  public func create(_ file: SecretFile, owner: Account, mode: UInt32, replacing: Bool) throws(StoreError) {
    let (directories, name) = try location.components()
    let (directory, directoryInfo) = try PathWalk.openParent(of: location, directories: directories)
    let identity: Account? = directoryInfo.st_uid == 0 ? nil : location.account
    var held: OpenedSecretFile? = nil
    if replacing {
      do throws(StoreError) { held = try openLocked(until: cshim_monotonic_ns() + lockTimeout) } catch {
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
    let opened = try openLocked(until: cshim_monotonic_ns() + lockTimeout)
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
  ///
  /// With many logins at once, a waiter may find the file replaced as many
  /// times as there are logins ahead of it (each writes a new file). Every
  /// replacement is another login served, so the loop is bounded by the
  /// deadline (CLOCK_MONOTONIC nanoseconds) alone: a count of retries let the
  /// 64th of 64 concurrent logins give up while the others were served.
  private func openLocked(until deadline: Int) throws(StoreError) -> OpenedSecretFile {
    while true {
      let opened = try OpenedSecretFile.open(location, until: deadline)
      let remaining = deadline - cshim_monotonic_ns()
      guard remaining > 0 else { throw .lockTimeout(path: location.pathText) }
      do throws(SystemError) { try FileLock.lock(opened.file, timeout: remaining) } catch {
        if error.code == ETIMEDOUT { throw .lockTimeout(path: location.pathText) }
        throw .system(path: location.pathText, error)
      }
      if opened.isStillAtPath() { return opened }
    }
  }

  /// A rewrite keeps the file's owner; nil when it is ours already.
  private func fileOwner(_ info: stat) -> Account? {
    info.st_uid == geteuid() ? nil : Account(uid: info.st_uid, gid: info.st_gid)
  }
}

extension SecretFileStore.Update {
  /// How the write went, in the policy's terms.
  public var writeResult: LoginPolicy.WriteResult {
    guard let error = writeError else { return unchanged ? .unchanged : .saved }
    return error.isWriteRefusedByFileSystem ? .refusedByFileSystem : .failed
  }
}
