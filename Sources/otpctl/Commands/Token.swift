import ArgumentParser
import OTPCore
import OTPStore

/// `otpctl token add|list|remove|rename`: a user's several devices. The
/// rate limit, the back-off and the scratch codes stay the user's.
struct Token: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Manage a user's tokens (several devices: a phone, a hardware token, ...).",
    discussion: """
      A code from any active token logs the user in. Each token has its own
      secret, settings and used codes; the rate limit, the back-off and the
      scratch codes belong to the user. The first token is kept in GA's file
      layout (GA's module reads only that one); the others are lines GA ignores.

      With --ldap FILE they act on the user's token entries in the fleet's
      directory: a token's name is its entry's oathTokenIdentifier (an entry
      without one goes by its RDN's value); a rename keeps the entry's DN.
      """,
    subcommands: [TokenAdd.self, TokenList.self, TokenRemove.self, TokenRename.self])
}

struct TokenAdd: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Give an enrolled user one more token and show it as a QR code and URI.")

  @OptionGroup var named: NamedUserOptions

  @Argument(help: "The new token's name (a-z A-Z 0-9 . _ -, at most 32).")
  var name: String

  @OptionGroup var codes: CodeOptions

  @Option(help: "HOTP: the first counter to accept (default 1; a hardware token may start at 0).")
  var counter: UInt64?

  @Option(help: "The issuer the app shows (default: this host's name).")
  var issuer: String?

  @Option(help: "The account name the app shows (default: the user name).")
  var label: String?

  @Option(help: "QR code on the terminal: terminal (default) or none.")
  var qr: Enroll.QRStyle = .terminal

  @Option(name: .customLong("qr-png"), help: ArgumentHelp("Also write the QR code as a PNG file.", valueName: "file"))
  var qrPNG: String?

  @Flag(help: "Keep the token inactive until a code from it is typed here.")
  var confirm = false

  @Flag(help: "Print one JSON object {user, token, secret_file, uri, active} instead of text.")
  var json = false

  @OptionGroup var fleet: FleetOption

  func validate() throws {
    guard OTPToken.isValidName(name) else {
      throw ValidationError("the token name must be 1 to 32 of a-z A-Z 0-9 . _ -, starting with a letter or digit")
    }
    if !codes.isHOTP && counter != nil { throw ValidationError("--counter applies to HOTP only") }
    if let counter, counter >= SecretFile.maximumHOTPCounter { throw ValidationError("--counter is too large") }
  }

  func makeToken() throws(CLIError) -> OTPToken {
    let hash = codes.hash
    var key = try Enrolment.randomBytes(hash.digestLength)
    return OTPToken(
      name: name, secret: SensitiveBytes(consuming: &key),
      mode: codes.isHOTP ? .hotp(nextCounter: counter ?? 1) : .totp,
      algorithm: hash == .sha1 ? nil : hash, digits: codes.digits == 6 ? nil : codes.digits,
      stepSize: codes.isHOTP || codes.period == 30 ? nil : codes.period, windowSize: codes.window,
      usedSteps: codes.isHOTP || codes.allowReuse ? nil : [], isActive: !confirm)
  }

  func run() throws {
    try reportingErrors(json: json) {
      if let path = fleet.file { return try runInDirectory(path) }
      let target = try named.resolve()
      let token = try makeToken()
      let uri = Enrolment.uri(for: token, issuer: issuer ?? Enrolment.hostName, label: label ?? target.user.nameText).text
      let code: QRCode
      do { code = try QRCode(encoding: uri) } catch {
        throw CLIError(.usage, "the otpauth URI is too long for a QR code; shorten --issuer or --label")
      }
      // Written first (inactive with --confirm): the name is taken, and
      // nothing is shown for a token that could not be stored.
      try target.change { file throws(CLIError) in
        do throws(SecretFile.TokenError) { try file.addToken(token) } catch {
          if case .duplicateName = error { throw CLIError(.exists, "\(named.user): \(error.description)") }
          throw CLIError(.usage, error.description)
        }
      }
      let png = try qrPNG.map { path throws(CLIError) in try AtomicFile.write(try code.pngData(), to: path) }
      let text = enrolmentText(target, token, uri, code)
      if confirm {
        Terminal.error(text)
        do {
          try confirmCode(token, target)
        } catch {
          png?.remove()
          throw error
        }
      } else if !json {
        print(text)
      }
      if json {
        try JSONOutput.print(.object([
          "user": .string(target.user.nameText), "token": .string(name), "secret_file": .string(target.path),
          "uri": .string(uri), "active": .bool(true),
        ]))
      } else if confirm {
        print("Code confirmed: token \(name) is active.")
      }
    }
  }

  private func enrolmentText(_ target: Target, _ token: OTPToken, _ uri: String, _ code: QRCode) -> String {
    let kind =
      token.mode == .totp ? "TOTP, a new code every \(token.effectiveStepSize) s" : "HOTP (counter-based)"
    var lines = [
      "Adding token \(token.name) for \(target.user.nameText): \(kind), \(token.effectiveAlgorithm.name), \(token.effectiveDigits) digits.",
      "Secret file: \(target.path)", "",
    ]
    if qr == .terminal { lines += ["Scan this QR code with your authenticator app:", "", code.terminalText(), ""] }
    lines += ["Or enter the key by hand: \(KeyText.grouped(token.secret))", "URI: \(uri)", ""]
    return lines.joined(separator: "\n")
  }

  /// Asks for a code of the new token; activates it if one is right, and
  /// removes it if none is, so that no unconfirmed token lingers.
  private func confirmCode(_ token: OTPToken, _ target: Target) throws(CLIError) {
    var trial = SecretFile(
      secret: token.secret, mode: token.mode, algorithm: token.algorithm, digits: token.digits,
      stepSize: token.stepSize, windowSize: token.windowSize, usedSteps: token.usedSteps)
    if Enrolment.confirmingCode(
      &trial, prompt: "Enter the code the new token shows: ",
      retryHint: "That code is not right; check the token's clock and try again.")
    {
      try target.change { file throws(CLIError) in
        guard let index = file.tokenIndex(named: name), let stored = file.token(at: index), !stored.isActive,
          stored.secret === token.secret || Self.sameSecret(stored.secret, token.secret)
        else { throw CLIError(.refused, "token \(name) changed while it was being confirmed; nothing activated") }
        file.modifyToken(at: index) {
          $0.isActive = true
          $0.mode = trial.mode
          $0.usedSteps = trial.usedSteps
        }
      }
      return
    }
    try? target.change { file throws(CLIError) in
      if let index = file.tokenIndex(named: name), file.token(at: index)?.isActive == false {
        try? file.removeToken(named: name)
      }
    }
    throw CLIError(.refused, "the code did not match; token \(name) was not added")
  }

  static func sameSecret(_ lhs: SensitiveBytes, _ rhs: SensitiveBytes) -> Bool {
    lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in left.elementsEqual(right) } }
  }
}

struct TokenList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List a user's tokens: names, kinds, settings, last use (never a secret).")

  @OptionGroup var target: TargetOptions

  @Flag(help: "Print one JSON object {user, secret_file, tokens: [...]}.")
  var json = false

  @OptionGroup var fleet: FleetOption

  func run() throws {
    try reportingErrors(json: json) {
      if let path = fleet.file {
        guard target.secretFile == nil else { throw CLIError(.usage, "--ldap and --secret-file exclude each other") }
        guard let user = target.user else { throw CLIError(.usage, "--ldap needs the user's name") }
        return try FleetCommands.tokenList(path, user: user, json: json)
      }
      let target = try Target.resolve(target)
      let file = try target.readSecretFile()
      if json {
        try JSONOutput.print(.object([
          "user": .string(target.user.nameText), "secret_file": .string(target.path),
          "tokens": .array(file.tokens.enumerated().map { TokenText.json($1, primary: $0 == 0) }),
        ]))
        return
      }
      print(TokenText.table(file.tokens))
    }
  }
}

struct TokenRemove: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove",
    abstract: "Remove one of a user's tokens.",
    discussion: """
      The last token is removed only with --force, and then the whole secret file
      goes (as revoke does): the user's scratch codes with it. Removing the first
      token moves the next active one into GA's layout.
      """)

  @OptionGroup var named: NamedUserOptions

  @Argument(help: "The token's name.")
  var name: String

  @Flag(help: "Remove the last token too (deletes the secret file; with --ldap, the user's last token entry).")
  var force = false

  @OptionGroup var fleet: FleetOption

  func run() throws {
    try reportingErrors {
      if let path = fleet.file {
        guard named.secretFile == nil else { throw CLIError(.usage, "--ldap and --secret-file exclude each other") }
        return try FleetCommands.tokenRemove(path, user: named.user, name: name, force: force)
      }
      let target = try named.resolve()
      var last = false
      try target.change { file throws(CLIError) in
        do throws(SecretFile.TokenError) { try file.removeToken(named: name) } catch {
          switch error {
          case .notFound: throw CLIError(.usage, "\(named.user) has \(error.description)")
          case .lastToken, .noActiveSuccessor:
            guard force else {
              throw CLIError(
                .refused, "\(error.description) of \(named.user); --force removes it and the whole secret file")
            }
            last = true
          default: throw CLIError(.usage, error.description)
          }
        }
      }
      if last {
        do throws(StoreError) { try target.store.remove() } catch { throw target.failure(error) }
        print("Removed token \(name), the last of \(named.user): removed \(target.path).")
        print(Revoke.loginAfterwards(user: named.user))
      } else {
        print("Removed token \(name) of \(named.user).")
      }
    }
  }
}

struct TokenRename: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename one of a user's tokens.")

  @OptionGroup var named: NamedUserOptions

  @Argument(help: "The token's name.")
  var old: String

  @Argument(help: "Its new name (a-z A-Z 0-9 . _ -, at most 32).")
  var new: String

  @OptionGroup var fleet: FleetOption

  func run() throws {
    try reportingErrors {
      if let path = fleet.file {
        guard named.secretFile == nil else { throw CLIError(.usage, "--ldap and --secret-file exclude each other") }
        guard OTPToken.isValidName(new) else {
          throw CLIError(.usage, "the token name must be 1 to 32 of a-z A-Z 0-9 . _ -, starting with a letter or digit")
        }
        return try FleetCommands.tokenRename(path, user: named.user, old: old, new: new)
      }
      let target = try named.resolve()
      try target.change { file throws(CLIError) in
        do throws(SecretFile.TokenError) { try file.renameToken(old, to: new) } catch {
          switch error {
          case .duplicateName: throw CLIError(.exists, "\(named.user): \(error.description)")
          case .notFound: throw CLIError(.usage, "\(named.user) has \(error.description)")
          default: throw CLIError(.usage, error.description)
          }
        }
      }
      print("Renamed token \(old) of \(named.user) to \(new).")
    }
  }
}

/// How tokens are shown: `token list`, `status`.
enum TokenText {
  static func summary(_ token: OTPToken) -> String {
    let hash = "\(token.effectiveAlgorithm.name) \(token.effectiveDigits)"
    switch token.mode {
    case .totp: return "TOTP \(hash)/\(token.effectiveStepSize)s"
    case .hotp(let counter): return "HOTP \(hash) next=\(counter)"
    case .scratchCodesOnly: return "no app"
    }
  }

  static func table(_ tokens: [OTPToken]) -> String {
    var rows = [["NAME", "KIND", "WINDOW", "LAST USED", "STATE"]]
    for token in tokens {
      rows.append([
        token.name, summary(token), "\(token.effectiveWindowSize)",
        token.lastUsed.map(TimeText.local) ?? "-", token.isActive ? "active" : "awaiting confirmation",
      ])
    }
    let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ")
        .trimmingTrailingSpaces()
    }.joined(separator: "\n")
  }

  static func json(_ token: OTPToken, primary: Bool) -> JSONValue {
    var object: [String: JSONValue] = [
      "name": .string(token.name), "type": .string(token.kindName.lowercased()), "primary": .bool(primary),
      "algorithm": .string(token.effectiveAlgorithm.name), "digits": .number(token.effectiveDigits),
      "window": .number(token.effectiveWindowSize), "active": .bool(token.isActive),
      "last_used": token.lastUsed.map { .number($0) } ?? .null,
    ]
    switch token.mode {
    case .totp:
      object["period"] = .number(token.effectiveStepSize)
      object["disallow_reuse"] = .bool(token.disallowsReuse)
      object["time_skew"] = .number(token.timeSkew ?? 0)
    case .hotp(let counter): object["counter"] = .number(counter)
    case .scratchCodesOnly: object["type"] = .string("no-app")
    }
    return .object(object)
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}

extension Target {
  /// Changes the user's file under its lock and writes it once; a
  /// `CLIError` from `body` leaves the file as it was.
  func change(_ body: (inout SecretFile) throws(CLIError) -> Void) throws(CLIError) {
    var failure: CLIError? = nil
    let update: SecretFileStore.Update<Void>
    do throws(StoreError) {
      update = try store.update { file in
        var changed = file
        do throws(CLIError) {
          try body(&changed)
          file = changed
        } catch {
          failure = error
        }
      }
    } catch {
      throw self.failure(error)
    }
    if let failure { throw failure }
    if let error = update.writeError { throw CLIError(error) }
  }
}

extension SecretFile {
  /// The token `--token NAME` names, or the primary.
  func selectToken(_ name: String?) throws(CLIError) -> OTPToken {
    guard let name else { return primary }
    guard let token = token(named: name) else {
      throw CLIError(.usage, "no token named \(name) (otpctl token list shows them)")
    }
    return token
  }
}
