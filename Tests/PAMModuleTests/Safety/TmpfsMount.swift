import Foundation
import Testing

/// A small tmpfs of its own (root can mount one here), to make a file
/// system full or read-only under the module. `TmpfsMount.with` unmounts it
/// and removes the mount point afterwards, also when the body fails.
final class TmpfsMount {
  let path: String
  private var mounted = false

  private init(kilobytes: Int) throws {
    var template = Array("/tmp/pam_otp-tmpfs.XXXXXX".utf8CString)
    path = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!).map { String(cString: $0) } })
    do {
      // mode=0700: the module walks the path and refuses a directory
      // others could write to (a fresh tmpfs root is 1777 otherwise).
      try Shell.check("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k,mode=0700", "tmpfs", path])
      mounted = true
    } catch {
      rmdir(path)
      throw error
    }
  }

  static func with<Result>(kilobytes: Int, _ body: (TmpfsMount) throws -> Result) throws -> Result {
    let mount = try TmpfsMount(kilobytes: kilobytes)
    defer { mount.remove() }
    return try body(mount)
  }

  /// Fills every free block with a file named `filler`.
  func fill() throws {
    let descriptor = open("\(path)/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    try #require(descriptor >= 0, "cannot create the filler: errno \(errno)")
    defer { close(descriptor) }
    let block = [UInt8](repeating: 0x55, count: 4096)
    while true {
      let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
      if written > 0 { continue }
      try #require(written < 0 && errno == ENOSPC, "filling the tmpfs stopped with errno \(errno)")
      // A partial block may still fit.
      var byte: UInt8 = 0
      while write(descriptor, &byte, 1) == 1 {}
      return
    }
  }

  func freeSpace() { unlink("\(path)/filler") }

  func remount(readOnly: Bool) throws {
    try Shell.check("/usr/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", path])
  }

  /// Files whose names a killed or failed write would leave (`.NAME.XXXX~`).
  func temporaryFiles() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix(".") && $0.hasSuffix("~") }
  }

  private func remove() {
    if mounted, (try? Shell.run("/usr/bin/umount", [path]))?.status != 0 {
      // Something still uses it: detach it now, the kernel frees it later.
      _ = try? Shell.run("/usr/bin/umount", ["--lazy", path])
    }
    mounted = false
    rmdir(path)
  }
}
