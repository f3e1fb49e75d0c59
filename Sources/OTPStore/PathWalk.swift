import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// Opens the directory that holds a secret file by walking its path from `/`
/// one component at a time, refusing any component that is a symbolic link
/// or that someone other than root or the file's owner could change. This is
/// the check pam_oath lacked (CVE-2024-47191): with it, a user cannot
/// redirect the module to another file by swapping a directory for a link.
package enum PathWalk {
  /// The directory, open, and its status as checked.
  package static func openParent(of location: SecretFileLocation, directories: [[UInt8]])
    throws(StoreError) -> (directory: FileDescriptor, info: stat)
  {
    var current: FileDescriptor
    do throws(SystemError) {
      current = try FileDescriptor.openDirectoryPath(at: AT_FDCWD, Array("/".utf8))
    } catch {
      throw .system(path: "/", error)
    }
    var info = try check(current, path: [UInt8(ascii: "/")], location: location)
    var walked: [UInt8] = []
    for (index, component) in directories.enumerated() {
      walked += [UInt8(ascii: "/")] + component
      let isLast = index == directories.count - 1
      current = try openDirectory(component, in: current, walked: walked, readable: isLast)
      info = try check(current, path: walked, location: location)
    }
    if directories.isEmpty {
      // The file sits in `/` itself; reopen it readable so it can be synced.
      do throws(SystemError) {
        current = try FileDescriptor.open(at: AT_FDCWD, Array("/".utf8), flags: O_RDONLY | O_DIRECTORY)
      } catch {
        throw .system(path: "/", error)
      }
    }
    return (current, info)
  }

  /// Opens one component without following a link. The last directory is
  /// opened readable, because `fsync` after a rename needs a real descriptor.
  private static func openDirectory(
    _ name: [UInt8], in parent: FileDescriptor, walked: [UInt8], readable: Bool
  ) throws(StoreError) -> FileDescriptor {
    let path = String(decoding: walked, as: UTF8.self)
    do throws(SystemError) {
      return readable
        ? try FileDescriptor.open(at: parent.raw, name, flags: O_RDONLY | O_DIRECTORY)
        : try FileDescriptor.openDirectoryPath(at: parent.raw, name)
    } catch {
      guard error.code == ENOTDIR || error.code == ELOOP else {
        throw error.isNotFound ? .notFound(path: path) : .system(path: path, error)
      }
      var info = stat()
      let isLink = withCString(name) { fstatat(parent.raw, $0, &info, AT_SYMLINK_NOFOLLOW) } == 0
        && cshim_is_lnk(info.st_mode) != 0
      throw .unsafeDirectory(path: path, problem: isLink ? .symlink : .notDirectory)
    }
  }

  /// A directory is safe when it is owned by root or the file's owner and no
  /// one else can write to it. A sticky directory owned by root (`/tmp`) is
  /// allowed: others can add entries there but not replace ours.
  @discardableResult
  private static func check(_ directory: FileDescriptor, path: [UInt8], location: SecretFileLocation)
    throws(StoreError) -> stat
  {
    let text = String(decoding: path, as: UTF8.self)
    let info: stat
    do throws(SystemError) { info = try directory.status() } catch { throw .system(path: text, error) }
    guard cshim_is_dir(info.st_mode) != 0 else { throw .unsafeDirectory(path: text, problem: .notDirectory) }
    let owner = info.st_uid
    guard owner == 0 || owner == location.account.uid else {
      throw .unsafeDirectory(path: text, problem: .ownedBy(uid: owner))
    }
    let mode = UInt32(info.st_mode)
    let writableByOthers = mode & 0o022 != 0
    let stickyRootOwned = mode & UInt32(S_ISVTX) != 0 && owner == 0
    guard !writableByOthers || stickyRootOwned else {
      throw .unsafeDirectory(path: text, problem: .writableByOthers(mode: mode))
    }
    return info
  }
}
