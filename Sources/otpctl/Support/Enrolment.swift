import OTPCore
import OTPStore

/// The settings of a new enrolment, validated.
struct EnrolmentSettings {
  var isHOTP = false
  var algorithm: HashAlgorithm = .sha1
  var digits = 6
  var period = 30
  var window = 3
  var rateLimit: RateLimit? = RateLimit(attempts: 3, interval: 30)
  var allowReuse = false
  var scratchCodes = 5
  var delivery: DeliveryAddress? = nil
  /// False: codes only by delivery; the file still holds a random secret
  /// (the format needs one) but no TOTP_AUTH/HOTP_COUNTER line.
  var hasApp = true
}

enum Enrolment {
  /// Asks up to three times for a code of a new secret and judges it against
  /// `trial`, which a right code changes (its step or counter used up).
  /// False when no code was right or the input ended.
  static func confirmingCode(_ trial: inout SecretFile, prompt: String, retryHint: String) -> Bool {
    let verifier = Verifier(token: trial, settings: VerificationSettings(adjustSkew: false, advanceCounterOnFailure: false))
    for attempt in 1...3 {
      guard let line = Terminal.readLine(prompt: prompt) else { return false }
      var answer = Array(line.utf8.filter { $0 != UInt8(ascii: " ") })
      defer { SensitiveBytes.wipe(&answer) }
      if case .accepted = verifier.verify(answer: answer, at: System.now, remoteHost: nil, state: &trial) { return true }
      if attempt < 3 { Terminal.error(retryHint) }
    }
    return false
  }

  /// A new secret file: a random secret as long as the hash's output (what
  /// RFC 4226 and 6238 recommend), unique scratch codes, and option lines in
  /// the order the google-authenticator CLI writes them. A SHA1 / 6-digit
  /// file has no DIGITS or ALGORITHM line, so GA's module reads it too.
  static func makeSecretFile(_ settings: EnrolmentSettings) throws(CLIError) -> SecretFile {
    var key = try randomBytes(settings.algorithm.digestLength)
    let secret = SensitiveBytes(consuming: &key)
    var codes: [UInt32] = []
    while codes.count < settings.scratchCodes {
      let code = try randomScratchCode()
      if !codes.contains(code) { codes.append(code) }
    }
    var file = SecretFile(
      secret: secret,
      mode: !settings.hasApp ? .scratchCodesOnly : settings.isHOTP ? .hotp(nextCounter: 1) : .totp,
      algorithm: settings.algorithm == .sha1 ? nil : settings.algorithm,
      digits: settings.digits == 6 ? nil : settings.digits,
      stepSize: settings.isHOTP || settings.period == 30 ? nil : settings.period,
      windowSize: settings.window,
      rateLimit: settings.rateLimit,
      usedSteps: settings.isHOTP || settings.allowReuse || !settings.hasApp ? nil : [],
      scratchCodes: codes)
    file.delivery = settings.delivery
    return file
  }

  static func randomBytes(_ count: Int) throws(CLIError) -> [UInt8] {
    do { return try SecureRandom.bytes(count) } catch {
      throw CLIError(.ioError, "cannot read random bytes from the kernel: \(error.description)")
    }
  }

  /// GA's range: 8 digits without a leading zero, every code equally likely.
  static func randomScratchCode() throws(CLIError) -> UInt32 {
    do { return try SecureRandom.uniform(in: SecretFile.scratchCodeRange) } catch {
      throw CLIError(.ioError, "cannot read random bytes from the kernel: \(error.description)")
    }
  }

  /// The URI an app scans. The counter of an HOTP URI is the file's next
  /// counter: apps that count up before their first code and apps that
  /// count up after it then both land inside the window.
  static func uri(for file: SecretFile, issuer: String?, label: String) -> OTPAuthURI {
    uri(for: file.primary, issuer: issuer, label: label)
  }

  /// The URI of one of the user's tokens.
  static func uri(for token: OTPToken, issuer: String?, label: String) -> OTPAuthURI {
    let kind: OTPAuthURI.Kind
    switch token.mode {
    case .hotp(let counter): kind = .hotp(counter: counter)
    case .totp, .scratchCodesOnly: kind = .totp(period: token.effectiveStepSize)
    }
    return OTPAuthURI(
      kind: kind, issuer: issuer, account: label, secret: token.secret, algorithm: token.effectiveAlgorithm,
      digits: token.effectiveDigits)
  }

  static var hostName: String {
    System.hostName
  }
}
