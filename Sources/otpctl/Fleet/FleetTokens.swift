import OTPCore
import OTPStore

/// A token to create in the directory: its secret and settings as a
/// `SecretFile` holds them, its name, and the state that must survive a
/// move (the next HOTP counter is in `file.mode`; `lastStep` is the last
/// TOTP step accepted, which stays refused).
struct FleetTokenSpec {
  var name: String?
  var file: SecretFile
  var lastStep: Int64? = nil
}

/// `token add|list|remove|rename --ldap`: a user's token entries by name.
/// The name is the entry's `oathTokenIdentifier`; an entry without one
/// (made by another tool) is named by its RDN's value, so that it can still
/// be listed, renamed and removed.
extension FleetAdmin {
  static func name(of entry: DirectoryEntry) -> String {
    if let identifier = entry.value("oathTokenIdentifier") { return text(identifier) }
    return text(FleetToken.firstRDNValue(entry.dn))
  }

  /// The user's entry named `name`, and all of the user's entries.
  mutating func token(named name: String, of user: String) throws(CLIError) -> (
    entry: DirectoryEntry, all: [DirectoryEntry]
  ) {
    let owner = try userDN(user)
    let all = try tokens(of: owner)
    guard !all.isEmpty else { throw CLIError(.notEnrolled, "\(user): no token in the directory") }
    guard let entry = all.first(where: { OTPToken.sameName(Self.name(of: $0), name) }) else {
      throw CLIError(.usage, "\(user) has no token named \(name) in the directory (otpctl token list --ldap shows them)")
    }
    return (entry, all)
  }

  /// Creates a token entry owned by `owner` (and the shared parameter
  /// entry it links to, if missing); returns its DN.
  mutating func add(_ spec: FleetTokenSpec, owner: [UInt8], user: String, existingCount: Int) throws(CLIError)
    -> String
  {
    let file = spec.file
    let base = Self.text(configuration.tokenSearchBase)
    let isHOTP: Bool
    var nextCounter: UInt64 = 0
    switch file.mode {
    case .hotp(let counter):
      isHOTP = true
      nextCounter = counter
    case .totp: isHOTP = false
    case .scratchCodesOnly: throw CLIError(.usage, "the directory holds app tokens only")
    }
    let algorithm = file.effectiveAlgorithm
    let oid =
      switch algorithm {
      case .sha1: "1.2.840.113549.2.7"
      case .sha256: "1.2.840.113549.2.9"
      case .sha512: "1.2.840.113549.2.11"
      }
    let tolerance = (file.effectiveWindowSize - 1) / 2
    let paramsName =
      isHOTP
      ? "pam-otp-hotp-\(file.effectiveDigits)-\(algorithm.name.lowercased())-\(file.effectiveWindowSize - 1)"
      : "pam-otp-totp-\(file.effectiveDigits)-\(algorithm.name.lowercased())-\(file.effectiveStepSize)-\(tolerance)"
    let paramsDN = "cn=\(paramsName),\(base)"
    var params: [(String, [UInt8])] = [
      ("objectClass", Array("organizationalRole".utf8)),
      ("objectClass", Array((isHOTP ? "oathHOTPParams" : "oathTOTPParams").utf8)),
      ("cn", Array(paramsName.utf8)),
      ("oathOTPLength", Array(String(file.effectiveDigits).utf8)),
      ("oathHMACAlgorithm", Array(oid.utf8)),
    ]
    if isHOTP {
      params.append(("oathHOTPLookAhead", Array(String(file.effectiveWindowSize - 1).utf8)))
    } else {
      params.append(("oathTOTPTimeStepPeriod", Array(String(file.effectiveStepSize).utf8)))
      params.append(("oathTOTPTimeStepWindow", Array(String(tolerance).utf8)))
    }
    var number = existingCount + 1
    var tokenDN = ""
    let secret = file.secret.copyBytes()
    let limit = directory.operationLimit
    let paramsBytes = Array(paramsDN.utf8)
    var added: Int32 = 0
    // An RDN taken by a token enrolled meanwhile (or removed from the
    // middle): the next number.
    for _ in 0..<(OTPToken.maximumCount + 10) {
      let rdn = "\(user)-\(number)"
      tokenDN = "cn=\(Self.escapeDNValue(rdn)),\(base)"
      var token: [(String, [UInt8])] = [
        ("objectClass", Array("device".utf8)),
        ("objectClass", Array((isHOTP ? "oathHOTPToken" : "oathTOTPToken").utf8)),
        ("cn", Array(rdn.utf8)),
        ("owner", owner),
        ("oathSecret", secret),
        (isHOTP ? "oathHOTPParams" : "oathTOTPParams", paramsBytes),
        ("oathFailureCount", Array("0".utf8)),
      ]
      if let name = spec.name { token.append(("oathTokenIdentifier", Array(name.utf8))) }
      if isHOTP { token.append(("oathHOTPCounter", Array(String(nextCounter).utf8))) }
      if !isHOTP, let step = spec.lastStep { token.append(("oathTOTPLastTimeStep", Array(String(step).utf8))) }
      let dn = Array(tokenDN.utf8)
      added = try run { connection in
        let code = connection.add(paramsBytes, params, limit: limit)
        guard code == 0 || code == 68 else { return code }
        return connection.add(dn, token, limit: limit)
      }
      if added != 68 { break }
      number += 1
    }
    guard added == 0 else { throw CLIError(.ioError, "cannot add \(tokenDN): \(FleetDirectory.text(added))") }
    return tokenDN
  }

  /// Deletes one entry (gone already counts as deleted).
  mutating func delete(_ dn: [UInt8]) throws(CLIError) {
    let limit = directory.operationLimit
    let code = try run { connection in connection.delete(dn, limit: limit) }
    guard code == 0 || code == 32 else {
      throw CLIError(.ioError, "cannot delete \(Self.text(dn)): \(FleetDirectory.text(code))")
    }
  }

  /// Renames a token: its `oathTokenIdentifier` changes, its DN does not
  /// (one modify; a modrdn would change the order of the user's tokens,
  /// and the first one keeps the user's wrong-code count).
  mutating func rename(user: String, old: String, new: String) throws(CLIError) -> String {
    let (entry, all) = try token(named: old, of: user)
    if all.contains(where: { OTPToken.sameName(Self.name(of: $0), new) }) {
      throw CLIError(.exists, "\(user) has a token named \(new) in the directory already")
    }
    let limit = directory.operationLimit
    let code = try run { connection in
      connection.modify(entry.dn, [(.replace, "oathTokenIdentifier", Array(new.utf8))], assertion: nil, limit: limit)
    }
    guard code == 0 else {
      throw CLIError(.ioError, "cannot rename \(Self.text(entry.dn)): \(FleetDirectory.text(code))")
    }
    return Self.text(entry.dn)
  }
}
