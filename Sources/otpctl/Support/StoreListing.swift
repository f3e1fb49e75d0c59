import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// Every file of a store (`/var/lib/pam_otp`, or the directory of a
/// `secret=DIR/${USER}` line), each named after its user, read as the
/// module reads it. A file that cannot be used is an entry with its error:
/// one broken file never hides the others.
struct StoreListing {
  let directory: String
  let now: Int64
  var entries: [StoreEntry]

  /// `--secret-dir`, absolute and without a trailing slash; the default store without it.
  static func directoryPath(_ option: String?) throws(CLIError) -> String {
    guard var path = option else { return SecretFileLocation.defaultDirectory }
    if !path.hasPrefix("/") { path = (System.currentDirectory ?? "") + "/" + path }
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    guard path.hasPrefix("/") else { throw CLIError(.usage, "--secret-dir must be an absolute path: \(option ?? "")") }
    return path
  }

  static func read(directory: String, now: Int64) throws(CLIError) -> StoreListing {
    guard getuid() == 0 else { throw CLIError(.permission, "only root can list every user's secret file") }
    let names = try fileNames(in: directory)
    let entries = names.compactMap { entry(named: $0, in: directory, now: now) }
    return StoreListing(directory: directory, now: now, entries: entries)
  }

  /// The names in the directory that can be users' files. A name starting
  /// with `.` is no user's (the store's own temporary files are named so).
  private static func fileNames(in directory: String) throws(CLIError) -> [[UInt8]] {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      if code == ENOENT { throw CLIError(.notEnrolled, "\(directory): no such directory: no one is enrolled there") }
      throw CLIError(.system(path: directory, SystemError(.open, code: code)))
    }
    guard let stream = fdopendir(descriptor) else {
      let code = errno
      close(descriptor)
      throw CLIError(.system(path: directory, SystemError(.open, code: code)))
    }
    defer { closedir(stream) }
    var names: [[UInt8]] = []
    while true {
      errno = 0
      guard let entry = readdir(stream) else {
        if errno != 0 { throw CLIError(.system(path: directory, SystemError(.read, code: errno))) }
        break
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
      if name.first != UInt8(ascii: ".") { names.append(name) }
    }
    return names
  }

  /// The entry for one name, or nil for a file that went away meanwhile
  /// (revoked while the listing was made).
  private static func entry(named name: [UInt8], in directory: String, now: Int64) -> StoreEntry? {
    let location = SecretFileLocation(path: Array(directory.utf8) + [UInt8(ascii: "/")] + name, account: .root)
    let path = location.pathText
    let shown = displayName(name)
    func unusable(_ error: CLIError) -> StoreEntry { StoreEntry(name: name, user: shown, path: path, outcome: .failure(error)) }
    guard UserName.isValid(name) else {
      return unusable(CLIError(.unknownUser, "\(path): \"\(shown)\" cannot be a user name, so no login reads this file"))
    }
    guard let user = UserDatabase.lookup(name: name) else {
      return unusable(CLIError(.unknownUser, "\(path): no such user, so no login reads this file"))
    }
    guard user.name == name else {
      // The module names files after the account's own name (see README, "Which file").
      return unusable(CLIError(
        .unknownUser, "\(path): this account's own name is \(user.nameText), so logins read \(directory)/\(user.nameText), not this file"))
    }
    let store = SecretFileStore(location: SecretFileLocation(path: location.path, account: user.account))
    do {
      let file = try store.read()
      return StoreEntry(name: name, user: shown, path: path, outcome: .success(UserStatus(user: shown, path: path, file: file, now: now)))
    } catch {
      if case .notFound = error { return nil }
      return unusable(CLIError(error))
    }
  }

  /// A name as text: as it is when it is plain UTF-8; percent-escaped when
  /// it holds control characters, invalid UTF-8 or `%` (so that no two
  /// names look alike).
  static func displayName(_ name: [UInt8]) -> String {
    if let text = String(validating: name, as: UTF8.self), !name.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "%") }) {
      return text
    }
    return LogEscaping.escape(name, limit: 1024)
  }

  mutating func sort(by key: Status.SortKey, reversed: Bool) {
    entries.sort { first, second in
      let (a, b) = (first.sortKey(key), second.sortKey(key))
      if a != b { return a < b }
      return first.name.lexicographicallyPrecedes(second.name)
    }
    if reversed { entries.reverse() }
  }

  var json: JSONValue {
    .object([
      "secret_dir": .string(directory), "time": .number(now), "users": .array(entries.map(\.json)),
    ])
  }
}

/// One file of the store.
struct StoreEntry {
  /// The file's name, as bytes.
  let name: [UInt8]
  /// The name as shown: the user's.
  let user: String
  let path: String
  let outcome: Result<UserStatus, CLIError>

  var status: UserStatus? { if case .success(let status) = outcome { status } else { nil } }
  var error: CLIError? { if case .failure(let error) = outcome { error } else { nil } }

  /// Rows with the key's value first, in the order that asks for
  /// attention first; then usable files without it; then unusable ones.
  func sortKey(_ key: Status.SortKey) -> SortValue {
    guard let status else { return key == .user ? SortValue(group: 0, value: 0) : SortValue(group: 2, value: 0) }
    let value: Int64?
    switch key {
    case .user: value = 0
    case .failures: value = -Int64(status.failures)
    case .backoff: value = status.backoff.map { -$0.time }
    case .scratch: value = Int64(status.file.scratchCodes.count)
    case .lastSuccess: value = status.lastSuccess?.time.map { -$0 }
    }
    return value.map { SortValue(group: 0, value: $0) } ?? SortValue(group: 1, value: 0)
  }

  struct SortValue: Comparable {
    let group: Int
    let value: Int64
    static func < (a: SortValue, b: SortValue) -> Bool { (a.group, a.value) < (b.group, b.value) }
  }

  var json: JSONValue {
    if let status { return status.json(masked: true) }
    guard let error, case .object(var object) = ErrorReport.json(error.message, exitCode: error.kind.rawValue) else {
      return .null
    }
    object["user"] = .string(user)
    object["secret_file"] = .string(path)
    return .object(object)
  }
}
