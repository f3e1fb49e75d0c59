import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// GA's `~USER/.google_authenticator`, read as the module reads a home
/// file: walked and opened with the user's file-system identity, never as
/// root, with every check of the store (owner, mode, no links). The whole
/// file is taken, state and all, so that a code used before the move is
/// still refused after it.
enum GAHomeFiles {
  static let fileName = ".google_authenticator"

  static func location(of user: UserRecord) -> SecretFileLocation {
    SecretFileLocation(path: user.home + Array("/\(fileName)".utf8), account: user.account)
  }

  /// The user's file as a token; `nil` when the user has none.
  static func read(_ user: UserRecord) throws(StoreError) -> ImportedToken? {
    let store = SecretFileStore(location: location(of: user))
    let file: SecretFile
    do { file = try store.read() } catch {
      if case .notFound = error { return nil }
      throw error
    }
    let kind: ImportedToken.Kind
    var notes: [String] = []
    switch file.mode {
    case .totp: kind = .totp(step: file.effectiveStepSize, lastUsedStep: file.usedSteps?.max())
    case .hotp(let counter): kind = .hotp(nextCounter: counter)
    case .scratchCodesOnly:
      kind = .totp(step: file.effectiveStepSize, lastUsedStep: nil)
      notes.append("\(user.nameText): the file has neither TOTP_AUTH nor HOTP_COUNTER; only its scratch codes work, as before")
    }
    return ImportedToken(
      user: user.nameText, source: store.location.pathText, kind: kind, secret: file.secret,
      algorithm: file.effectiveAlgorithm, digits: file.effectiveDigits, gaFile: file, notes: notes, origin: .ga)
  }

  /// Every account of the password database, in its order, once each.
  static func allUsers() -> [UserRecord] {
    var names: [[UInt8]] = []
    setpwent()
    while let entry = getpwent() {
      guard let name = entry.pointee.pw_name else { continue }
      let bytes = Array(String(cString: name).utf8)
      if !names.contains(bytes) { names.append(bytes) }
    }
    endpwent()
    return names.compactMap { UserDatabase.lookup(name: $0) }
  }

  /// Removes the home file (`--remove-home-file`), as its owner, under its lock.
  static func remove(_ user: UserRecord) throws(StoreError) {
    try SecretFileStore(location: location(of: user)).remove()
  }
}
