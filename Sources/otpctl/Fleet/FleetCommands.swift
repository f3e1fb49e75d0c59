import ArgumentParser
import OTPCore
import OTPStore

/// `--ldap FILE` of enroll, status, unlock and revoke: what each prints
/// when it acts on the directory (FleetAdmin) instead of a secret file.
struct FleetOption: ParsableArguments {
  @Option(
    name: .customLong("ldap"),
    help: ArgumentHelp(
      "Act on the fleet's directory, with the bind this file names (the keys of the module's ldap= file).",
      valueName: "file"))
  var file: String?
}

enum FleetCommands {
  static func enroll(_ path: String, user: String?, settings: EnrolmentSettings, issuer: String?, label: String?) throws(CLIError) {
    guard let user else { throw CLIError(.usage, "--ldap needs the user's name") }
    var settings = settings
    // The directory keeps no scratch codes, rate limit or delivery address.
    settings.scratchCodes = 0
    settings.rateLimit = nil
    settings.delivery = nil
    var admin = try FleetAdmin(path: path)
    let file = try Enrolment.makeSecretFile(settings)
    let uri = Enrolment.uri(for: file, issuer: issuer ?? Enrolment.hostName, label: label ?? user).text
    let code: QRCode
    do { code = try QRCode(encoding: uri) } catch {
      throw CLIError(.usage, "the otpauth URI is too long for a QR code; shorten --issuer or --label")
    }
    let dn = try admin.enroll(user: user, file: file)
    print("Enrolled \(user) in the directory: \(dn)")
    print("")
    print(code.terminalText())
    print(uri)
  }

  static func status(_ path: String, user: String?) throws(CLIError) {
    guard let user else { throw CLIError(.usage, "--ldap needs the user's name") }
    var admin = try FleetAdmin(path: path)
    print(try admin.status(user: user, backoff: Backoff(), now: System.now))
  }

  static func unlock(_ path: String, user: String) throws(CLIError) {
    var admin = try FleetAdmin(path: path)
    let cleared = try admin.unlock(user: user)
    print(
      cleared == 0
        ? "Nothing to clear for \(user): no wrong codes."
        : "Unlocked \(user): cleared \(cleared) wrong code\(cleared == 1 ? "" : "s") in a row, on every host.")
  }

  static func revoke(_ path: String, user: String) throws(CLIError) {
    var admin = try FleetAdmin(path: path)
    let removed = try admin.revoke(user: user)
    print("Revoked \(user): removed \(removed.joined(separator: ", ")).")
    print(Revoke.loginAfterwards(user: user))
  }
}

extension FleetCommands {
  static func tokenList(_ path: String, user: String, json: Bool) throws(CLIError) {
    var admin = try FleetAdmin(path: path)
    let owner = try admin.userDN(user)
    let found = try admin.tokens(of: owner)
    guard !found.isEmpty else { throw CLIError(.notEnrolled, "\(user): no token in the directory") }
    if json {
      try JSONOutput.print(.object([
        "user": .string(user), "dn": .string(FleetAdmin.text(owner)),
        "tokens": .array(found.map { entry in
          var object: [String: JSONValue] = [
            "name": .string(FleetAdmin.name(of: entry)), "dn": .string(FleetAdmin.text(entry.dn)),
            "type": .string(entry.hasObjectClass("oathHOTPToken") ? "hotp" : "totp"),
          ]
          if entry.hasObjectClass("oathHOTPToken") {
            object["counter"] = .number(Int(entry.integer("oathHOTPCounter") ?? 0))
          } else {
            object["last_step"] = entry.integer("oathTOTPLastTimeStep").map { .number(Int($0)) } ?? .null
          }
          object["last_used"] = entry.value("oathLastLogin").flatMap(GeneralizedTime.parse).map { .number(Int($0)) } ?? .null
          return .object(object)
        }),
      ]))
      return
    }
    var rows = [["NAME", "KIND", "STATE", "LAST USED", "ENTRY"]]
    for entry in found {
      let isHOTP = entry.hasObjectClass("oathHOTPToken")
      rows.append([
        FleetAdmin.name(of: entry), isHOTP ? "HOTP" : "TOTP",
        isHOTP
          ? "next=\(entry.integer("oathHOTPCounter") ?? 0)"
          : entry.integer("oathTOTPLastTimeStep").map { "last step \($0)" } ?? "never used",
        entry.value("oathLastLogin").flatMap(GeneralizedTime.parse).map(TimeText.local) ?? "-",
        FleetAdmin.text(entry.dn),
      ])
    }
    let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
      var line = row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
      while line.last == " " { line.removeLast() }
      print(line)
    }
  }

  static func tokenRemove(_ path: String, user: String, name: String, force: Bool) throws(CLIError) {
    var admin = try FleetAdmin(path: path)
    let (entry, all) = try admin.token(named: name, of: user)
    let last = all.count == 1
    if last && !force {
      throw CLIError(.refused, "token \(name) is the last token of \(user); --force removes it (as revoke --ldap does)")
    }
    try admin.delete(entry.dn)
    if last {
      print("Removed token \(name), the last of \(user): removed \(FleetAdmin.text(entry.dn)).")
      print(Revoke.loginAfterwards(user: user))
    } else {
      print("Removed token \(name) of \(user): removed \(FleetAdmin.text(entry.dn)).")
    }
  }

  static func tokenRename(_ path: String, user: String, old: String, new: String) throws(CLIError) {
    var admin = try FleetAdmin(path: path)
    let dn = try admin.rename(user: user, old: old, new: new)
    print("Renamed token \(old) of \(user) to \(new) (\(dn)).")
  }
}
