import OTPCore

#if canImport(Glibc)
import Glibc
#endif

/// pam_oath's usersfile, as liboath reads it: one token per line,
///
///     TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP [LASTTIME]]]
///
/// fields separated by blanks or tabs. TYPE is `HOTP`, `HOTP/E`,
/// `HOTP/E/6|7|8` (counter-based) or `HOTP/T30`, `HOTP/T60` with an optional
/// `/6|7|8` (time-based, 30 or 60 s). PASSWORD is `-` (none), `+` (checked
/// elsewhere) or a password, which pam_otp has no use for. After a login
/// pam_oath writes the counter of the code it accepted, the code, and when
/// (local time, `2024-05-01T12:34:56L`).
enum UsersFile {
  /// A line longer than this is no usersfile line (a 64-byte secret in hex
  /// and the rest fit in a few hundred bytes).
  static let maximumLineLength = 4096

  struct Failure: Error {
    let line: Int
    let message: String
  }

  /// Lines that are empty or start with `#` are skipped; so are lines whose
  /// first word is no token type, as liboath skips them, but only when
  /// that word starts with `#`: anything else is refused, since silently
  /// leaving a user behind is worse than saying so.
  static func parse(_ bytes: [UInt8], now: Int64) throws(Failure) -> [ImportedToken] {
    var tokens: [ImportedToken] = []
    var lineNumber = 0
    for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      guard rawLine.count <= maximumLineLength else {
        throw Failure(line: lineNumber, message: "line is \(rawLine.count) bytes long (at most \(maximumLineLength))")
      }
      var fields = rawLine.split { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.map { Array($0) }
      // The fields hold the secret's hex digits: wiped once read.
      defer { for index in fields.indices { SensitiveBytes.wipe(&fields[index]) } }
      guard let type = fields.first, type.first != UInt8(ascii: "#") else { continue }
      tokens.append(try token(fields, line: lineNumber, now: now))
    }
    return tokens
  }

  private static func token(_ fields: [[UInt8]], line: Int, now: Int64) throws(Failure) -> ImportedToken {
    func fail(_ message: String) -> Failure { Failure(line: line, message: message) }
    guard let (step, digits) = tokenType(fields[0]) else {
      throw fail("unknown token type \"\(ASCII.printable(fields[0]))\" (HOTP, HOTP/E[/6-8], HOTP/T30[/6-8] or HOTP/T60[/6-8])")
    }
    guard fields.count >= 4 else { throw fail("too few fields (TYPE USER PASSWORD SECRET ...)") }
    guard fields.count <= 7 else { throw fail("too many fields (at most 7)") }
    let user = fields[1]
    guard UserName.isValid(user) else { throw fail("invalid user name \"\(ASCII.printable(user))\"") }
    var hex = fields[3]
    defer { SensitiveBytes.wipe(&hex) }
    guard var key = Hex.decode(hex) else { throw fail("the secret is not hexadecimal") }
    let secret = SensitiveBytes(consuming: &key)
    guard secret.count >= SecretFile.minimumSecretBytes, secret.count <= 128 else {
      throw fail("the secret is \(secret.count) bytes (\(SecretFile.minimumSecretBytes) to 128)")
    }
    var counter: UInt64? = nil
    if fields.count >= 5 {
      guard let value = Decimal.parse(fields[4], maxDigits: 19) else { throw fail("the counter is not a number") }
      guard value < SecretFile.maximumHOTPCounter else { throw fail("the counter is larger than a secret file holds") }
      counter = value
    }
    let lastCode: [UInt8]? = fields.count >= 6 ? fields[5] : nil
    var lastTime: Int64? = nil
    if fields.count >= 7 {
      guard let time = localTime(fields[6]) else {
        throw fail("the last-used time is not YYYY-MM-DDTHH:MM:SSL")
      }
      lastTime = time
    }
    var notes: [String] = []
    if fields[2] != [UInt8(ascii: "-")] {
      notes.append("line \(line): its password field is ignored (pam_otp asks only for the code)")
    }
    var imported = ImportedToken(
      user: ASCII.string(user), source: "line \(line)", kind: .hotp(nextCounter: 0), secret: secret,
      algorithm: .sha1, digits: digits, origin: .oath)
    if let step {
      imported.kind = .totp(
        step: step, lastUsedStep: lastUsedStep(imported, lastCode: lastCode, at: lastTime, step: step, notes: &notes))
    } else {
      // pam_oath keeps the counter of the code it accepted last, and refuses
      // that code by comparing it with LASTOTP; pam_otp keeps the next one.
      let start = counter ?? 0
      imported.kind = .hotp(nextCounter: lastCode == nil ? start : start + 1)
    }
    imported.notes = notes
    return imported
  }

  /// (step, digits); the step is nil for HOTP.
  static func tokenType(_ word: [UInt8]) -> (Int?, Int)? {
    switch ASCII.string(word) {
    case "HOTP", "HOTP/E", "HOTP/E/6": (nil, 6)
    case "HOTP/E/7": (nil, 7)
    case "HOTP/E/8": (nil, 8)
    case "HOTP/T30", "HOTP/T30/6": (30, 6)
    case "HOTP/T30/7": (30, 7)
    case "HOTP/T30/8": (30, 8)
    case "HOTP/T60", "HOTP/T60/6": (60, 6)
    case "HOTP/T60/7": (60, 7)
    case "HOTP/T60/8": (60, 8)
    default: nil
    }
  }

  /// The step of the last accepted TOTP code: the step whose code is
  /// LASTOTP, searched near the time pam_oath wrote (its window may have
  /// been wide, and the phone's clock off).
  private static func lastUsedStep(
    _ token: ImportedToken, lastCode: [UInt8]?, at time: Int64?, step: Int, notes: inout [String]
  ) -> Int64? {
    guard let lastCode else { return nil }
    guard let time else {
      notes.append("\(token.source): the last code has no time; it cannot be located and is not kept refused")
      return nil
    }
    let around = time / Int64(step)
    let generator = OneTimePassword(key: token.secret, algorithm: token.algorithm, digits: token.digits)
    for distance in 0...Int64(searchSteps) {
      for candidate in distance == 0 ? [around] : [around - distance, around + distance] where candidate >= 0 {
        if generator.code(counter: UInt64(candidate)).matches(lastCode) { return candidate }
      }
    }
    notes.append("\(token.source): the last code matches no step near its time; its step \(around) is kept refused")
    return around
  }

  /// How far from its recorded time the last code is looked for, in steps.
  static let searchSteps = 1500

  /// `%Y-%m-%dT%H:%M:%SL` in local time, as pam_oath writes it.
  private static func localTime(_ text: [UInt8]) -> Int64? {
    // Fixed width: 2024-05-01T12:34:56L (strptime is not in Swift's Glibc).
    guard text.count == 20, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
      text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text[19] == UInt8(ascii: "L")
    else { return nil }
    func number(_ range: Range<Int>) -> Int32? { Decimal.parse(text[range], maxDigits: 4).map { Int32($0) } }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
      let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day),
      hour < 24, minute < 60, second < 61
    else { return nil }
    var moment = tm()
    moment.tm_year = year - 1900
    moment.tm_mon = month - 1
    moment.tm_mday = day
    moment.tm_hour = hour
    moment.tm_min = minute
    moment.tm_sec = second
    moment.tm_isdst = -1
    let seconds = mktime(&moment)
    return seconds == -1 ? nil : Int64(seconds)
  }
}
