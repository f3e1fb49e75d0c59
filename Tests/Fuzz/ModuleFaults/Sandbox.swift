import Glibc

/// The harness's private directory, one per process, on tmpfs (an fsync
/// there costs nothing), reused by every run:
///
///     /dev/shm/pam_otp-faultfuzz.PID/        root, 0700
///       pam.d/faultfuzz                      the stack: the trampoline module
///       deliver-ok, deliver-fail, ...        deliver.c under each name
///       sent-code                            what deliver-ok was last given
///       victim                               what stray links point at
///       s/                                   root, 0700: secret files
///       s/home/                              nobody, 0700: a user's home
///
/// Every path it hands the module lies inside; the fault layer stops the
/// process if the module writes or runs anything outside.
final class Sandbox {
  let root: String
  var secrets: String { root + "/s" }
  var home: String { root + "/s/home" }
  var confdir: String { root + "/pam.d" }
  static let service = "faultfuzz"
  static let nobody: UInt32 = 65534

  init(trampoline: String, deliver: String) {
    root = "/dev/shm/pam_otp-faultfuzz.\(getpid())"
    Self.removeStale()
    Self.removeTree(root)
    Self.require(mkdir(root, 0o700) == 0, "mkdir \(root)")
    Self.require(mkdir(confdir, 0o700) == 0, "mkdir \(confdir)")
    Self.require(mkdir(secrets, 0o700) == 0, "mkdir \(secrets)")
    Self.require(mkdir(home, 0o700) == 0 && chown(home, Self.nobody, Self.nobody) == 0, "mkdir \(home)")
    Self.write(Array("auth required \(trampoline)\n".utf8), to: confdir + "/" + Self.service, mode: 0o600)
    let program = Self.read(deliver) ?? []
    Self.require(!program.isEmpty, "read \(deliver)")
    for name in ["ok", "fail", "crash", "hang"] { Self.write(program, to: deliverPath(name), mode: 0o755) }
    Self.write(program, to: deliverPath("unsafe"), mode: 0o777)
    Self.write(Self.victimContents, to: victimPath, mode: 0o666)
  }

  /// A file anyone may write, which strays link to: the module must never
  /// write through a link it did not create.
  var victimPath: String { root + "/victim" }
  static let victimContents = Array("the module must never write here\n".utf8)

  func deliverPath(_ behaviour: String) -> String { root + "/deliver-" + behaviour }
  var deliverPrefix: String { root + "/deliver-" }
  var sentCodePath: String { root + "/sent-code" }

  /// Empties the secret directories (restoring their modes) and forgets
  /// the last sent code.
  func reset() {
    _ = chmod(secrets, 0o700)
    _ = chmod(home, 0o700)
    for directory in [home, secrets] {
      for name in Self.entries(directory) where !(directory == secrets && name == "home") {
        Self.removeTree(directory + "/" + name)
      }
    }
    _ = unlink(sentCodePath)
    if Self.read(victimPath) != Self.victimContents { Self.write(Self.victimContents, to: victimPath, mode: 0o666) }
  }

  /// The names in both secret directories, for "the decoy created nothing".
  func listing() -> [String] {
    (Self.entries(secrets).map { "s/" + $0 } + Self.entries(home).map { "s/home/" + $0 }).sorted()
  }

  /// The code deliver-ok was last given, without its newline.
  func lastSentCode() -> [UInt8]? {
    Self.read(sentCodePath).map { Array($0.prefix { $0 != 0x0A }) }
  }

  struct FileState: Equatable {
    var bytes: [UInt8]
    var uid: UInt32
    var gid: UInt32
    var mode: UInt32
  }

  /// The file at `path` as the harness sees it, or nil when there is none.
  static func state(of path: String) -> FileState? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = Glibc.read(fd, &buffer, buffer.count)
      if count <= 0 { break }
      bytes += buffer[0..<count]
    }
    return FileState(bytes: bytes, uid: info.st_uid, gid: info.st_gid, mode: UInt32(info.st_mode) & 0o7777)
  }

  /// Writes a file the harness needs; stops the process if it cannot.
  /// With `optional`, a file the input asked for that cannot exist (a name
  /// too long) is left out instead.
  static func write(
    _ bytes: [UInt8], to path: String, mode: UInt32, owner: UInt32 = 0, group: UInt32 = 0, optional: Bool = false
  ) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
    if fd < 0 && optional { return }
    require(fd >= 0, "create \(path)")
    var written = 0
    while written < bytes.count {
      let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      require(count > 0, "write \(path)")
      written += count
    }
    require(fchown(fd, owner, group) == 0 && fchmod(fd, mode) == 0, "chown/chmod \(path)")
    close(fd)
  }

  static func read(_ path: String) -> [UInt8]? { state(of: path)?.bytes }

  static func entries(_ directory: String) -> [String] {
    guard let stream = opendir(directory) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  static func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
      for name in entries(path) { removeTree(path + "/" + name) }
      _ = rmdir(path)
    } else {
      _ = unlink(path)
    }
  }

  /// Directories of harness processes that are gone (a crash leaves one).
  static func removeStale() {
    for name in entries("/dev/shm") where name.hasPrefix("pam_otp-faultfuzz.") {
      guard let pid = Int32(name.dropFirst("pam_otp-faultfuzz.".count)), kill(pid, 0) != 0, errno == ESRCH else {
        continue
      }
      removeTree("/dev/shm/" + name)
    }
  }

  func remove() { Self.removeTree(root) }

  static func require(_ condition: Bool, _ what: String) {
    guard !condition else { return }
    let error = String(cString: strerror(errno))
    fputs("module-faults: cannot \(what): \(error)\n", stderr)
    exit(2)
  }
}
