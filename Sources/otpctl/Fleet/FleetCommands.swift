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
