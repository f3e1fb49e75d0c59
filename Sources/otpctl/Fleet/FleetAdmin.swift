import CFleetLDAP
import OTPCore
import OTPStore

/// `--ldap FILE`: the commands act on the fleet's directory with the bind
/// FILE names (the administrator's, who may write tokens; the hosts' own
/// bind may only read secrets and write state). FILE has the keys of the
/// module's `ldap=` file and the same rules (root's, no access for others).
///
/// Token entries are created under `tokenbase` as `cn=USER-N` with
/// `owner: <the user's DN>` and the token's name in `oathTokenIdentifier`
/// (so a rename changes no DN); their parameters in shared entries there
/// (`cn=pam-otp-totp-6-sha1-30-1`).
struct FleetAdmin {
  var directory: FleetDirectory
  let path: String

  init(path: String) throws(CLIError) {
    self.path = path
    var bytes = [UInt8](repeating: 0, count: 65_536)
    let length = path.withCString { path in
      bytes.withUnsafeMutableBufferPointer { cfleet_read_private_file(path, $0.baseAddress, $0.count) }
    }
    guard length >= 0 else {
      throw CLIError(
        length == Int(CFLEET_UNSAFE_FILE) ? .dataError : .ioError,
        "\(path): "
          + (length == Int(CFLEET_UNSAFE_FILE)
            ? "must be a regular file owned by root with no access for group or others" : "cannot be read"))
    }
    do throws(FleetConfiguration.ParseError) {
      directory = FleetDirectory(configuration: try FleetConfiguration.parse(Array(bytes[0..<length])))
    } catch {
      throw CLIError(.dataError, "\(path): \(error.description)")
    }
  }

  var configuration: FleetConfiguration { directory.configuration }

  /// Runs `body` on a connection; an unreachable directory is an I/O error.
  mutating func run(_ body: (Connection) -> Int32) throws(CLIError) -> Int32 {
    do throws(FleetDirectory.Failure) {
      return try directory.withConnection(body)
    } catch {
      switch error {
      case .unavailable: throw CLIError(.ioError, "directory unavailable: \(directory.lastError)")
      case .refused(let code):
        throw CLIError(code == 50 || code == 49 ? .permission : .ioError, "directory refused: \(directory.lastError)")
      }
    }
  }

  /// The user's DN, found as the module finds it.
  mutating func userDN(_ user: String) throws(CLIError) -> [UInt8] {
    let filter = configuration.filter(forUser: Array(user.utf8))
    let base = configuration.base
    let limit = directory.operationLimit
    var found: [DirectoryEntry] = []
    var code: Int32 = 0
    _ = try run { connection in
      (code, found) = connection.search(
        base: base, subtree: true, filter: filter, attributes: ["1.1"], limit: limit, sizeLimit: 2)
      return code == 4 ? 0 : code
    }
    guard code != 4, found.count <= 1 else { throw CLIError(.dataError, "\(user): user_filter matches several entries") }
    guard let entry = found.first else { throw CLIError(.unknownUser, "\(user): no such user in the directory") }
    return entry.dn
  }

  /// The user's token entries, in DN order; their secrets only when asked
  /// (an import compares them).
  mutating func tokens(of dn: [UInt8], withSecrets: Bool = false) throws(CLIError) -> [DirectoryEntry] {
    let filter =
      Array("(&(owner=".utf8) + FleetConfiguration.escapeFilterValue(dn)
      + Array(")(|(objectClass=oathTOTPToken)(objectClass=oathHOTPToken)))".utf8)
    let base = configuration.tokenSearchBase
    let limit = directory.operationLimit
    var found: [DirectoryEntry] = []
    _ = try run { connection in
      let (code, entries) = connection.search(
        base: base, subtree: true, filter: filter,
        attributes: [
          "objectClass", "oathTOTPParams", "oathHOTPParams", "oathTOTPLastTimeStep", "oathHOTPCounter",
          "oathFailureCount", "oathLastFailure", "oathLastLogin", "oathTokenIdentifier",
        ] + (withSecrets ? ["oathSecret"] : []), limit: limit, sizeLimit: 100)
      found = entries
      return code
    }
    return found.sorted { Self.text($0.dn).lowercased() < Self.text($1.dn).lowercased() }
  }

  static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

  /// RFC 4514: a value that cannot change the DN it is put into.
  static func escapeDNValue(_ value: String) -> String {
    var escaped = ""
    for (index, character) in value.enumerated() {
      if ",+\"\\<>;=".contains(character) || (index == 0 && (character == "#" || character == " ")) {
        escaped.append("\\")
      }
      escaped.append(character)
    }
    return escaped
  }

  /// Creates the token entry of `enroll --ldap`: named `default` when the
  /// user has no token of that name, unnamed (shown by its RDN) otherwise.
  mutating func enroll(user: String, file: SecretFile) throws(CLIError) -> String {
    let owner = try userDN(user)
    let existing = try tokens(of: owner)
    if case .scratchCodesOnly = file.mode { throw CLIError(.usage, "--ldap enrols app tokens only") }
    let taken = existing.contains { OTPToken.sameName(Self.name(of: $0), OTPToken.defaultName) }
    return try add(
      FleetTokenSpec(name: taken ? nil : OTPToken.defaultName, file: file), owner: owner, user: user,
      existingCount: existing.count)
  }

  /// Clears the user's wrong-code count (kept on their first token).
  mutating func unlock(user: String) throws(CLIError) -> Int {
    let owner = try userDN(user)
    let found = try tokens(of: owner)
    guard !found.isEmpty else { throw CLIError(.notEnrolled, "\(user): no token in the directory") }
    var cleared = 0
    let limit = directory.operationLimit
    for entry in found {
      let count = entry.integer("oathFailureCount") ?? 0
      guard count != 0 else { continue }
      cleared += Int(count)
      let code = try run { connection in
        connection.modify(entry.dn, [(.replace, "oathFailureCount", Array("0".utf8))], assertion: nil, limit: limit)
      }
      guard code == 0 else { throw CLIError(.ioError, "cannot reset \(Self.text(entry.dn)): \(FleetDirectory.text(code))") }
    }
    return cleared
  }

  /// Deletes every token of the user.
  mutating func revoke(user: String) throws(CLIError) -> [String] {
    let owner = try userDN(user)
    let found = try tokens(of: owner)
    guard !found.isEmpty else { throw CLIError(.notEnrolled, "\(user): no token in the directory") }
    let limit = directory.operationLimit
    for entry in found {
      let code = try run { connection in connection.delete(entry.dn, limit: limit) }
      guard code == 0 || code == 32 else {
        throw CLIError(.ioError, "cannot delete \(Self.text(entry.dn)): \(FleetDirectory.text(code))")
      }
    }
    return found.map { Self.text($0.dn) }
  }

  /// One line per token: kind, state and failures, never the secret.
  mutating func status(user: String, backoff: Backoff, now: Int64) throws(CLIError) -> String {
    let owner = try userDN(user)
    let found = try tokens(of: owner)
    guard !found.isEmpty else { throw CLIError(.notEnrolled, "\(user): no token in the directory") }
    var lines = ["\(user): \(found.count) token\(found.count == 1 ? "" : "s") in the directory (\(Self.text(owner)))"]
    for (index, entry) in found.enumerated() {
      var parts = ["\(Self.name(of: entry)): \(Self.text(entry.dn))"]
      if entry.hasObjectClass("oathHOTPToken") {
        parts.append("HOTP, next counter \(entry.integer("oathHOTPCounter") ?? 0)")
      } else {
        parts.append(entry.integer("oathTOTPLastTimeStep").map { "TOTP, last step \($0)" } ?? "TOTP, never used")
      }
      if let login = entry.value("oathLastLogin").flatMap(GeneralizedTime.parse) {
        parts.append("last success \(TimeText.local(login))")
      }
      if index == 0 {
        let failures = Int(entry.integer("oathFailureCount") ?? 0)
        parts.append("\(failures) wrong code\(failures == 1 ? "" : "s") in a row")
        if failures > 0, let last = entry.value("oathLastFailure").flatMap(GeneralizedTime.parse),
          let until = backoff.end(after: FailureCount(count: failures, last: last)), until > now
        {
          parts.append("back-off until \(TimeText.local(until)) (default backoff= options)")
        }
      }
      lines.append("  " + parts.joined(separator: "; "))
    }
    return lines.joined(separator: "\n")
  }
}
