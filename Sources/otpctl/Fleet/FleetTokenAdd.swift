import OTPCore
import OTPStore

/// `token add --ldap`: one more token entry for the user. With --confirm
/// the code is asked for before anything is written, and the entry is
/// created with the confirming code's step (or counter) already used, so
/// nothing unconfirmed ever reaches the directory and that code cannot be
/// replayed.
extension TokenAdd {
  func runInDirectory(_ path: String) throws(CLIError) {
    guard named.secretFile == nil else { throw CLIError(.usage, "--ldap and --secret-file exclude each other") }
    if codes.allowReuse { throw CLIError(.usage, "--allow-reuse: the directory refuses every used step (--ldap)") }
    var admin = try FleetAdmin(path: path)
    let user = named.user
    let owner = try admin.userDN(user)
    let existing = try admin.tokens(of: owner)
    if existing.contains(where: { OTPToken.sameName(FleetAdmin.name(of: $0), name) }) {
      throw CLIError(.exists, "\(user) has a token named \(name) in the directory already")
    }
    guard existing.count < OTPToken.maximumCount else {
      throw CLIError(.usage, "\(user): a user holds at most \(OTPToken.maximumCount) tokens")
    }
    let token = try makeToken()
    let uri = Enrolment.uri(for: token, issuer: issuer ?? Enrolment.hostName, label: label ?? user).text
    let code: QRCode
    do { code = try QRCode(encoding: uri) } catch {
      throw CLIError(.usage, "the otpauth URI is too long for a QR code; shorten --issuer or --label")
    }
    var spec = FleetTokenSpec(
      name: name,
      file: SecretFile(
        secret: token.secret, mode: token.mode, algorithm: token.algorithm, digits: token.digits,
        stepSize: token.stepSize, windowSize: token.windowSize, usedSteps: token.mode == .totp ? [] : nil))
    let png = try qrPNG.map { path throws(CLIError) in try AtomicFile.write(try code.pngData(), to: path) }
    let dn: String
    do {
      if confirm {
        Terminal.error(directoryText(token, user: user, uri: uri, code: code))
        try confirmInDirectory(&spec)
      }
      dn = try admin.add(spec, owner: owner, user: user, existingCount: existing.count)
    } catch {
      png?.remove()
      throw error
    }
    if json {
      try JSONOutput.print(.object([
        "user": .string(user), "token": .string(name), "dn": .string(dn), "uri": .string(uri), "active": .bool(true),
      ]))
    } else if confirm {
      print("Code confirmed: token \(name) of \(user) is in the directory: \(dn)")
    } else {
      print(directoryText(token, user: user, uri: uri, code: code))
      print("Directory entry: \(dn)")
    }
  }

  private func directoryText(_ token: OTPToken, user: String, uri: String, code: QRCode) -> String {
    let kind = token.mode == .totp ? "TOTP, a new code every \(token.effectiveStepSize) s" : "HOTP (counter-based)"
    var lines = [
      "Adding token \(token.name) for \(user) in the directory: \(kind), \(token.effectiveAlgorithm.name), \(token.effectiveDigits) digits.",
      "",
    ]
    if qr == .terminal { lines += ["Scan this QR code with your authenticator app:", "", code.terminalText(), ""] }
    lines += ["Or enter the key by hand: \(KeyText.grouped(token.secret))", "URI: \(uri)", ""]
    return lines.joined(separator: "\n")
  }

  /// Three tries; the accepted code's step becomes the entry's last step
  /// (HOTP: the counter after it, the next one).
  private func confirmInDirectory(_ spec: inout FleetTokenSpec) throws(CLIError) {
    var trial = spec.file
    if Enrolment.confirmingCode(
      &trial, prompt: "Enter the code the new token shows: ",
      retryHint: "That code is not right; check the token's clock and try again.")
    {
      spec.file.mode = trial.mode
      spec.lastStep = trial.usedSteps?.max()
      return
    }
    throw CLIError(.refused, "the code did not match; token \(name) was not added")
  }
}
