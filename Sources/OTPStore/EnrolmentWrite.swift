import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

extension SecretFileStore {
  /// Writes the secret of an enrolment at the first login as `otpctl
  /// enroll` would: in a directory of root's (the default), owned by root
  /// with mode 0600; in a user's own directory, theirs with mode 0400.
  /// Created only if nothing is at the name (`renameat2` with
  /// `RENAME_NOREPLACE`), so of two concurrent first logins exactly one
  /// secret stays. Returns false when a file was there first.
  ///
  /// Without `commit` (the decoy line) the write is rehearsed: the same
  /// temporary file, synced and removed, and the same answer whether a file
  /// is at the name.
  public func createForEnrolment(_ file: SecretFile, commit: Bool) throws(StoreError) -> Bool {
    let (directories, name) = try location.components()
    let (directory, directoryInfo) = try PathWalk.openParent(of: location, directories: directories)
    let rootOwned = directoryInfo.st_uid == 0
    let owner = rootOwned ? Account.root : location.account
    let mode: UInt32 = rootOwned ? 0o600 : 0o400
    do throws(StoreError) {
      try FileSystemIdentity.run(as: rootOwned ? nil : location.account) { () throws(StoreError) in
        try AtomicReplace.write(
          file.serialized(), to: name, in: directory, owner: owner, mode: mode,
          placement: commit ? .createOnly : .rehearse, pathText: location.pathText)
        if !commit {
          var info = stat()
          let taken = withCString(name) { fstatat(directory.raw, $0, &info, AT_SYMLINK_NOFOLLOW) } == 0
          if taken { throw .alreadyExists(path: location.pathText) }
        }
      }
    } catch {
      if case .alreadyExists = error { return false }
      throw error
    }
    return true
  }
}
