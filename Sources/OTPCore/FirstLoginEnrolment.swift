/// Enrolment at the first login (`enroll=first-login`), as decisions: who
/// may enrol this way, what the new secret file holds, what the user is
/// shown, and what an answer means. The module performs them
/// (`Enrolment.swift`); time, the service and group membership are
/// parameters.
///
/// What it trusts: the stages before the module (the password, the SSH
/// key). Whoever passes them at a user's first login sets up that user's
/// second factor, so the window is closed with `enroll_until=` and by
/// removing the option once users have enrolled.
public enum FirstLoginEnrolment {
  /// Services that change identity for a user who is logged in already:
  /// they never enrol, whatever their stack says.
  public static let refusedServices: [String] = [
    "sudo", "sudo-i", "su", "su-l", "runuser", "runuser-l", "pkexec", "polkit-1", "doas",
  ]

  public enum Decision: Sendable {
    case enrol
    /// The user is treated as without a secret (refused, or `nullok`).
    case notOffered(reason: String)
  }

  /// Whether a user without a secret file enrols now. `requestingUser` is
  /// PAM_RUSER, which sudo, su and polkit set to the user who asks for
  /// another identity: such a stack never enrols. `isMember` is asked only
  /// when a group is configured and everything else allows enrolment.
  public static func decide(
    _ moduleOptions: ModuleOptions, at now: Int64, service: [UInt8]?, requestingUser: [UInt8]?,
    isMember: () -> Bool
  ) -> Decision {
    let options = moduleOptions.firstLogin
    guard options.enabled else { return .notOffered(reason: "enroll not set") }
    // With forward_pass the password is checked after this module: nothing
    // would stand before the enrolment.
    guard !moduleOptions.forwardPass else { return .notOffered(reason: "forward_pass") }
    guard now >= 0 else { return .notOffered(reason: "clock before 1970") }
    if let closesAt = options.closesAt, now >= closesAt {
      return .notOffered(reason: "enroll_until has passed")
    }
    if let service, refusedServices.contains(where: { Array($0.utf8) == service }) {
      return .notOffered(reason: "service changes identity")
    }
    if let requestingUser, !requestingUser.isEmpty {
      return .notOffered(reason: "PAM_RUSER is set (sudo, su)")
    }
    if options.group != nil, !isMember() { return .notOffered(reason: "not in enroll_group") }
    return .enrol
  }

  /// How many times the user may type a code before the login ends.
  public static let maximumAttempts = 3
  public static let scratchCodeCount = 5

  /// A new secret file with the defaults of `otpctl enroll`: TOTP, SHA1,
  /// 6 digits, 30 s, a window of 3, at most 3 attempts per 30 s, each code
  /// once, and `scratchCodes`. `key` is 20 random bytes (SHA1's output).
  public static func secretFile(key: SensitiveBytes, scratchCodes: [UInt32]) -> SecretFile {
    SecretFile(
      secret: key, mode: .totp, windowSize: SecretFile.defaultWindowSize,
      rateLimit: RateLimit(attempts: 3, interval: 30), usedSteps: [], scratchCodes: scratchCodes)
  }

  /// The URI the app scans: issuer and label as configured, else the host
  /// name and the user name (what `otpctl enroll` uses).
  public static func uri(for file: SecretFile, options: FirstLoginOptions, hostName: [UInt8], user: [UInt8])
    -> OTPAuthURI
  {
    let issuer = options.issuer ?? hostName
    let label = options.label.map { expandUser($0, user) } ?? user
    return OTPAuthURI(
      kind: .totp(period: file.effectiveStepSize), issuer: issuer.isEmpty ? nil : text(issuer),
      account: text(label), secret: file.secret, algorithm: file.effectiveAlgorithm, digits: file.effectiveDigits)
  }

  private static func expandUser(_ template: [UInt8], _ user: [UInt8]) -> [UInt8] {
    ASCII.replacing(Array("${USER}".utf8), in: template, with: user)
  }

  private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

  /// The key in groups of four, for typing into an app.
  public static func groupedKey(_ secret: SensitiveBytes) -> String {
    var grouped: [UInt8] = []
    var count = 0
    secret.withUnsafeBytes { key in
      Base32.encode(key) { symbol in
        if count > 0, count % 4 == 0 { grouped.append(UInt8(ascii: " ")) }
        grouped.append(symbol)
        count += 1
      }
    }
    defer { SensitiveBytes.wipe(&grouped) }
    return ASCII.string(grouped)
  }

  /// What the user is shown before the code prompt, one message each (every
  /// one short enough for any PAM application). `qrLines` is nil when no
  /// QR code can be drawn. The decoy line shows the same messages for a
  /// fresh secret of the same length, so they have the same shape.
  public static func messages(qrLines: [String]?, uri: String, key: String, scratchCodes: [UInt32]) -> [String] {
    var messages = ["This account has no verification codes yet: set up your authenticator app now."]
    if let qrLines {
      messages.append("Scan this QR code with the app:")
      messages += qrLines
    } else {
      messages.append("(No QR code can be drawn here: enter the key by hand.)")
    }
    messages.append("Or enter this key by hand: \(key)")
    messages.append("URI: \(uri)")
    messages.append("Emergency scratch codes (each works once; keep them somewhere safe):")
    messages.append(scratchCodes.map { "    " + OneTimeCode(value: $0, digits: 8).text }.joined(separator: "\n"))
    messages.append("Then type the code the app shows. Nothing is saved until that code is right.")
    return messages
  }

  /// Confirms that the app holds the secret: only a code from the app (not
  /// a scratch code, no rate limit), whose step is then recorded as used so
  /// it cannot log in a second time.
  public static func confirm(_ answer: SensitiveBytes, file: inout SecretFile, at now: Int64) -> Bool {
    guard now >= 0 else { return false }
    var trial = file
    trial.rateLimit = nil
    trial.scratchCodes = []
    let verifier = Verifier(token: trial, settings: VerificationSettings(adjustSkew: false, advanceCounterOnFailure: false))
    let verdict = AnswerReadings(code: answer).withCandidates(digits: file.effectiveDigits) { candidates in
      verifier.verify(readings: candidates, at: now, remoteHost: nil, state: &trial)
    }
    guard case .accepted(.totp) = verdict else { return false }
    file.usedSteps = trial.usedSteps
    return true
  }

  /// How an enrolment ended.
  public enum End: Equatable, Sendable {
    /// The code was right and the secret is saved.
    case saved
    /// No right code within the attempts: nothing saved.
    case notConfirmed
    /// Another login of the same user saved its secret first.
    case enrolledElsewhere
    /// The right code, but the secret could not be written.
    case notSaved
  }

  /// What an enrolment raises for the `notify=` program: a saved one, on
  /// the real line (the decoy's never happened).
  public static func alerts(for end: End, options: ModuleOptions) -> [Alert] {
    end == .saved && !options.decoy && options.notifyCommand != nil ? [.enrolled] : []
  }

  /// What the user is told at the end; nil for none.
  public static func notice(for end: End, attemptsLeft: Int) -> String? {
    switch end {
    case .saved: "Your authenticator app is set up; log in with its codes from now on."
    case .notConfirmed:
      attemptsLeft > 0
        ? "That code is not right; check the app's clock and try again."
        : "That code is not right either. Nothing was saved; log in again to start over."
    case .enrolledElsewhere:
      "Another login has just set up codes for this account; log in again with a code from that app."
    case .notSaved: "The new secret could not be saved; nothing changed. Try again later."
    }
  }

  /// `YYYY-MM-DD` → the first second (UTC) of the next day.
  public static func closingTime<Bytes: Collection<UInt8>>(ofDate text: Bytes) -> Int64? {
    let bytes = Array(text)
    guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
      let year = Decimal.parse(bytes[0..<4], maxDigits: 4), let month = Decimal.parse(bytes[5..<7], maxDigits: 2),
      let day = Decimal.parse(bytes[8..<10], maxDigits: 2),
      year >= 1970, (1...12).contains(month), day >= 1, day <= daysIn(month: Int64(month), year: Int64(year))
    else { return nil }
    return (daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day)) + 1) * 86_400
  }

  static func daysIn(month: Int64, year: Int64) -> UInt64 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
  /// (Howard Hinnant's days_from_civil).
  static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = y / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}
