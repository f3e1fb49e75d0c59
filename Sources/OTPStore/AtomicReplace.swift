import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// Writes a file's new contents without ever leaving a partial file: a new
/// file beside it (`O_EXCL`, same owner and mode), `fsync`, `rename` over the
/// old one, `fsync` of the directory. A crash at any point leaves the old or
/// the new contents, and at worst a stray temporary file that nothing reads.
enum AtomicReplace {
  enum Placement {
    /// Replace whatever is at the name.
    case replace
    /// Fail if something is at the name already.
    case createOnly
    /// Do all the work of a replace but the rename, then remove the new
    /// file: the cost of a write without its effect.
    case rehearse
  }

  /// `underLock`: the caller holds the secret file's lock (an update).
  static func write(
    _ contents: SensitiveBytes, to name: [UInt8], in directory: FileDescriptor, owner: Account?, mode: UInt32,
    placement: Placement, underLock: Bool = false, pathText: String
  ) throws(StoreError) {
    let (temporary, file) = try createTemporary(
      for: name, in: directory, underLock: underLock, keepingStrays: placement == .rehearse, pathText: pathText)
    do throws(SystemError) {
      let mode = try keepOwner(owner, of: file, mode: mode)
      guard fchmod(file.raw, mode) == 0 else { throw SystemError.last(.chmod) }
      try contents.withUnsafeBytes { bytes throws(SystemError) in try file.writeAll(bytes) }
      try file.sync()
      if placement == .rehearse {
        _ = withCString(temporary) { unlinkat(directory.raw, $0, 0) }
      } else {
        try rename(temporary, to: name, in: directory, placement: placement)
      }
    } catch {
      _ = withCString(temporary) { unlinkat(directory.raw, $0, 0) }
      if error.code == EEXIST { throw .alreadyExists(path: pathText) }
      throw .system(path: pathText, error)
    }
    // The rename is done; a failed directory sync cannot undo it, and the
    // new state is what every later reader sees.
    _ = fsync(directory.raw)
  }

  /// Gives the new file the old one's owner and group, and returns the mode
  /// to set. A file rewritten with its user's identity (a GA home file)
  /// cannot be given a group the user may not set: it keeps the user's own
  /// group then, without group permissions, so that no login fails for a
  /// group and no secret becomes readable by a group it was not meant for.
  private static func keepOwner(_ owner: Account?, of file: FileDescriptor, mode: UInt32) throws(SystemError)
    -> UInt32
  {
    guard let owner, geteuid() == 0 else { return mode }
    if fchown(file.raw, owner.uid, owner.gid) == 0 { return mode }
    let error = SystemError.last(.chown)
    var info = stat()
    guard error.code == EPERM, fstat(file.raw, &info) == 0, info.st_uid == owner.uid else { throw error }
    return mode & ~0o070
  }

  private static func rename(_ from: [UInt8], to: [UInt8], in directory: FileDescriptor, placement: Placement)
    throws(SystemError)
  {
    let result = withCString(from) { source in
      withCString(to) { target in cshim_rename(directory.raw, source, target, placement == .createOnly ? 1 : 0) }
    }
    guard result == 0 else { throw .last(.rename) }
  }

  /// The new file, created exclusively. An update runs under the secret
  /// file's lock, so it uses one fixed name, `.NAME.update~`: a file of that
  /// name can only be left by a writer that crashed, and is removed, so
  /// crashes never pile up stray files. Other writes hold no lock and take a
  /// random name, `.NAME.XXXXXXXXXXXXXXXX~`.
  ///
  /// A rehearsal (`keepingStrays`) changes nothing at all, not even a
  /// crashed writer's stray: it takes a random name when the fixed one is
  /// taken.
  private static func createTemporary(
    for name: [UInt8], in directory: FileDescriptor, underLock: Bool, keepingStrays: Bool, pathText: String
  ) throws(StoreError) -> ([UInt8], FileDescriptor) {
    var temporary = underLock ? [UInt8(ascii: ".")] + name + Array(".update~".utf8) : try temporaryName(for: name)
    for attempt in 0..<2 {
      do throws(SystemError) {
        let file = try FileDescriptor.open(at: directory.raw, temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        return (temporary, file)
      } catch {
        guard error.code == EEXIST, underLock, attempt == 0 else { throw .system(path: pathText, error) }
        if keepingStrays {
          temporary = try temporaryName(for: name)
        } else {
          // Unlinking removes a stray (even a planted link), never its target.
          guard withCString(temporary, { unlinkat(directory.raw, $0, 0) }) == 0 else {
            throw .system(path: pathText, .last(.unlink))
          }
        }
      }
    }
    throw .system(path: pathText, SystemError(.open, code: EEXIST))
  }

  /// `.NAME.XXXXXXXXXXXXXXXX~`: hidden, unique, and never a name the module
  /// or `otpctl` reads as a secret file.
  static func temporaryName(for name: [UInt8]) throws(StoreError) -> [UInt8] {
    let random: [UInt8]
    do throws(SystemError) { random = try SecureRandom.bytes(8) } catch { throw .system(path: "", error) }
    return [UInt8(ascii: ".")] + name + [UInt8(ascii: ".")] + Hex.encode(random) + [UInt8(ascii: "~")]
  }
}
