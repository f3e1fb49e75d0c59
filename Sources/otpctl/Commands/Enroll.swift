import ArgumentParser
import OTPCore
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

struct Enroll: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Create a new secret for a user and show it as a QR code and URI.",
    discussion: """
      Root enrols anyone; a user may enrol themselves where they can write the
      secret file (for instance --secret-file ~/.google_authenticator, if the
      PAM configuration reads it). The file is written atomically and never
      replaces an existing one without --force.
      """)

  @OptionGroup var target: TargetOptions
  @OptionGroup var fleet: FleetOption

  @OptionGroup var codes: CodeOptions

  @Option(
    name: .customLong("rate-limit"),
    help: ArgumentHelp("At most N attempts per SECONDS (default 3/30).", valueName: "N/SECONDS"))
  var rateLimit: String?

  @Flag(name: .customLong("no-rate-limit"), help: "Do not limit attempts.")
  var noRateLimit = false

  @Option(name: .customLong("scratch-codes"), help: "Single-use emergency codes to create (0 to 100).")
  var scratchCodes: Int = 5

  @Option(help: "The issuer the app shows (default: this host's name).")
  var issuer: String?

  @Option(help: "The account name the app shows (default: the user name).")
  var label: String?

  @Option(help: "QR code on the terminal: terminal (default) or none.")
  var qr: QRStyle = .terminal

  enum QRStyle: String, ExpressibleByArgument {
    case terminal, none
  }

  @Option(name: .customLong("qr-png"), help: ArgumentHelp("Also write the QR code as a PNG file.", valueName: "file"))
  var qrPNG: String?

  @Option(
    help: ArgumentHelp(
      "Also send codes by e-mail or SMS (needs the module's deliver= option).",
      valueName: "email:ADDRESS|sms:+NUMBER"))
  var deliver: String?

  @Flag(name: .customLong("no-app"), help: "No authenticator app: codes only by --deliver (and scratch codes).")
  var noApp = false

  @Flag(help: "Ask for a code from the app and activate the secret only if it is right.")
  var confirm = false

  @Flag(help: "Replace an existing secret file.")
  var force = false

  @Flag(help: "Print one JSON object {user, secret_file, uri, scratch_codes} instead of text.")
  var json = false

  func validate() throws {
    guard (0...SecretFile.maximumScratchCodes).contains(scratchCodes) else {
      throw ValidationError("--scratch-codes must be between 0 and \(SecretFile.maximumScratchCodes)")
    }
    if rateLimit != nil && noRateLimit { throw ValidationError("--rate-limit and --no-rate-limit exclude each other") }
    if let rateLimit, Self.parseRateLimit(rateLimit) == nil {
      throw ValidationError("--rate-limit must be N/SECONDS with N 1-100 and SECONDS 1-3600, e.g. 3/30")
    }
    if let deliver, DeliveryAddress(parsing: Array(deliver.utf8)) == nil {
      throw ValidationError("--deliver must be email:ADDRESS or sms:+NUMBER (E.164, e.g. sms:+447700900789)")
    }
    if noApp && deliver == nil { throw ValidationError("--no-app needs --deliver") }
    if noApp && (confirm || qrPNG != nil) { throw ValidationError("--no-app has no app to confirm or QR code to show") }
  }

  static func parseRateLimit(_ text: String) -> RateLimit? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let attempts = Int(parts[0]), let seconds = Int(parts[1]),
      RateLimit.attemptsRange.contains(attempts), RateLimit.intervalRange.contains(seconds)
    else { return nil }
    return RateLimit(attempts: attempts, interval: seconds)
  }

  var settings: EnrolmentSettings {
    var settings = EnrolmentSettings()
    settings.isHOTP = codes.isHOTP
    settings.algorithm = codes.hash
    settings.digits = codes.digits
    settings.period = codes.period
    settings.window = codes.window
    settings.rateLimit = noRateLimit ? nil : rateLimit.flatMap(Self.parseRateLimit) ?? RateLimit(attempts: 3, interval: 30)
    settings.allowReuse = codes.allowReuse
    settings.scratchCodes = scratchCodes
    settings.delivery = deliver.flatMap { DeliveryAddress(parsing: Array($0.utf8)) }
    settings.hasApp = !noApp
    return settings
  }

  func run() throws {
    try reportingErrors(json: json) {
      if let path = fleet.file {
        return try FleetCommands.enroll(path, user: target.user, settings: settings, issuer: issuer, label: label)
      }
      let target = try Target.resolve(self.target)
      try checkNothingToOverwrite(target)
      try checkCanWrite(target)
      var file = try Enrolment.makeSecretFile(settings)
      let uri = Enrolment.uri(for: file, issuer: issuer ?? Enrolment.hostName, label: label ?? target.user.nameText).text
      // Built before anything is shown, so a URI too long for a QR code
      // fails cleanly.
      let code = try qrCode(for: uri)
      let png = try qrPNG.map { path throws(CLIError) in try AtomicFile.write(try code.pngData(), to: path) }
      do {
        if confirm {
          // With --json, standard output is for the JSON object; the secret
          // to scan goes to the terminal on standard error.
          show(enrolmentText(target, file, uri, code), onStandardError: json)
          try confirmCode(&file)
          try write(file, for: target)
        } else {
          try write(file, for: target)
          if !json { show(enrolmentText(target, file, uri, code), onStandardError: false) }
        }
      } catch {
        // A QR code of a secret that was never activated must not linger.
        // Only the file this run created goes, whatever the name now names.
        png?.remove()
        throw error
      }
      if json {
        try printJSON(target, uri, file.scratchCodes)
      } else if confirm {
        print("Code confirmed: the secret is active.")
      }
    }
  }

  private func qrCode(for uri: String) throws(CLIError) -> QRCode {
    do { return try QRCode(encoding: uri) } catch {
      throw CLIError(.usage, "the otpauth URI is too long for a QR code; shorten --issuer or --label")
    }
  }

  /// Fails before a secret is made if it could not be written: only root
  /// writes the default directory, and a --secret-file's directory must exist.
  private func checkCanWrite(_ target: Target) throws(CLIError) {
    if target.isDefaultLocation {
      guard getuid() == 0 else {
        throw CLIError(.permission, "cannot write \(SecretFileLocation.defaultDirectory)\n" + (advice(for: target) ?? ""))
      }
      try DefaultDirectory.ensure()
    }
    do {
      try target.store.checkDirectory()
    } catch {
      if case .notFound(let path) = error {
        throw CLIError(.ioError, "\(path): no such directory (create it first)")
      }
      throw CLIError(error)
    }
  }

  /// Fails before any secret is shown if the file exists (and no --force).
  private func checkNothingToOverwrite(_ target: Target) throws(CLIError) {
    guard !force else { return }
    do {
      _ = try target.store.read()
      throw CLIError(.exists, "\(target.path): \(target.user.nameText) is enrolled already (use --force to replace the secret)")
    } catch let error as CLIError {
      throw error
    } catch StoreError.notFound {
      return  // nothing there (or no directory yet: checkCanWrite says so)
    } catch let error as StoreError {
      switch error {
      case .unsafeFile, .malformed:
        throw CLIError(.exists, "\(error.description)\n(a file is in the way; use --force to replace it)")
      default: throw CLIError(error, advice: advice(for: target))
      }
    } catch {
      throw CLIError(.ioError, "\(error)")
    }
  }

  private func write(_ file: SecretFile, for target: Target) throws(CLIError) {
    // The default file is root's (0600): the user cannot read it. A
    // --secret-file is the user's own, read-only (0400), as GA writes it.
    let owner = target.isDefaultLocation ? Account.root : target.user.account
    let mode: UInt32 = target.isDefaultLocation ? 0o600 : 0o400
    do {
      try target.store.create(file, owner: owner, mode: mode, replacing: force)
    } catch {
      throw CLIError(error, advice: advice(for: target))
    }
  }

  private func advice(for target: Target) -> String? {
    guard getuid() != 0, target.isDefaultLocation else { return nil }
    return """
      Only root can write \(SecretFileLocation.defaultDirectory). Ask an administrator to run
        sudo otpctl enroll \(target.user.nameText)
      or, if the PAM configuration reads secret=~/.google_authenticator, enrol yourself with
        otpctl enroll --secret-file ~/.google_authenticator
      """
  }

  private func enrolmentText(_ target: Target, _ file: SecretFile, _ uri: String, _ code: QRCode) -> String {
    let kind: String
    switch file.mode {
    case .hotp: kind = "HOTP (counter-based)"
    case .totp: kind = "TOTP, a new code every \(file.effectiveStepSize) s"
    case .scratchCodesOnly: kind = "no app, codes \(file.delivery?.channel.phrase ?? "by delivery")"
    }
    var lines = [
      "Enrolling \(target.user.nameText): \(kind), \(file.effectiveAlgorithm.name), \(file.effectiveDigits) digits.",
      "Secret file: \(target.path)", "",
    ]
    if let delivery = file.delivery {
      lines += ["Codes can be sent \(delivery.channel.phrase) to \(delivery.addressText).", ""]
    }
    if file.mode != .scratchCodesOnly {
      if qr == .terminal {
        lines += ["Scan this QR code with your authenticator app:", "", code.terminalText(), ""]
      }
      lines += ["Or enter the key by hand: \(KeyText.grouped(file.secret))", "URI: \(uri)", ""]
    }
    if !file.scratchCodes.isEmpty {
      lines.append("Emergency scratch codes (each works once; keep them somewhere safe):")
      lines += file.scratchCodes.map { "    \(ScratchCode.text($0))" }
      lines.append("")
    }
    return lines.joined(separator: "\n")
  }

  private func show(_ text: String, onStandardError: Bool) {
    if onStandardError { Terminal.error(text) } else { print(text) }
  }

  /// Asks for the app's current code and records it as used, so the secret
  /// is only activated once the user's app is known to produce it.
  private func confirmCode(_ file: inout SecretFile) throws(CLIError) {
    // Only a code from the app proves the app has the secret: not a scratch code.
    var trial = file
    trial.rateLimit = nil
    trial.scratchCodes = []
    if Enrolment.confirmingCode(
      &trial, prompt: "Enter the code your app shows: ",
      retryHint: "That code is not right; check the app's clock and try again.")
    {
      file.mode = trial.mode
      file.usedSteps = trial.usedSteps
      return
    }
    throw CLIError(.refused, "the code did not match; the secret was not activated")
  }

  private func printJSON(_ target: Target, _ uri: String, _ codes: [UInt32]) throws(CLIError) {
    try JSONOutput.print(.object([
      "user": .string(target.user.nameText), "secret_file": .string(target.path), "uri": .string(uri),
      "scratch_codes": .array(codes.map { .string(ScratchCode.text($0)) }),
    ]))
  }
}

enum ScratchCode {
  static func text(_ code: UInt32) -> String { OneTimeCode(value: code, digits: 8).text }
}

enum KeyText {
  /// The Base32 key in groups of four, as apps ask for it.
  static func grouped(_ secret: SensitiveBytes) -> String {
    let encoded = secret.withUnsafeBytes { Base32.encodeString($0) }
    var groups: [Substring] = []
    var rest = Substring(encoded)
    while !rest.isEmpty {
      groups.append(rest.prefix(4))
      rest = rest.dropFirst(4)
    }
    return groups.joined(separator: " ")
  }
}

enum DefaultDirectory {
  /// Creates /var/lib/pam_otp (root, 0700) when root enrols the first user.
  static func ensure() throws(CLIError) {
    let path = SecretFileLocation.defaultDirectory
    var info = stat()
    if lstat(path, &info) == 0 { return }
    guard getuid() == 0 else { return }  // the write will fail with advice
    guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
      throw CLIError(.system(path: path, SystemError(.mkdir, code: errno)))
    }
    _ = chmod(path, 0o700)
  }
}
