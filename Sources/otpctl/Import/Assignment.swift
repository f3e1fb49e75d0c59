import OTPCore

/// `SERIAL=USER[:NAME]` (or a `SERIAL,USER[,NAME]` line of `--assign-csv`):
/// which user gets the token with this serial number, under which name.
struct Assignment: Equatable {
  let serial: String
  let user: String
  let name: String?

  init?(parsing text: String, separator: Character) {
    let parts: [Substring]
    if separator == "=" {
      guard let equals = text.firstIndex(of: "=") else { return nil }
      let target = text[text.index(after: equals)...].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      parts = [text[..<equals]] + target
    } else {
      parts = text.split(separator: separator, omittingEmptySubsequences: false)
    }
    let trimmed = parts.map { String($0).trimmingWhitespace }
    guard (2...3).contains(trimmed.count), !trimmed[0].isEmpty, UserName.isValid(Array(trimmed[1].utf8)) else { return nil }
    if trimmed.count == 3 && !OTPToken.isValidName(trimmed[2]) { return nil }
    serial = trimmed[0]
    user = trimmed[1]
    name = trimmed.count == 3 ? trimmed[2] : nil
  }

  static func read(csv path: String) throws(CLIError) -> [Assignment] {
    let contents = try InputFile.read(path, limit: 4 << 20)
    let text = String(decoding: contents.copyBytes(), as: UTF8.self)
    var list: [Assignment] = []
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let trimmed = String(line).trimmingWhitespace
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      guard let assignment = Assignment(parsing: trimmed, separator: ",") else {
        throw CLIError(.dataError, "\(path): line \(index + 1): not SERIAL,USER[,NAME]")
      }
      list.append(assignment)
    }
    return list
  }

  /// The assigned keys as tokens; a serial assigned twice, or one the file
  /// does not hold, is refused.
  static func tokens(_ keys: [PSKC.Key], _ assignments: [Assignment]) throws(CLIError) -> [ImportedToken] {
    var tokens: [ImportedToken] = []
    var seen: [String] = []
    for assignment in assignments {
      guard !seen.contains(assignment.serial) else {
        throw CLIError(.usage, "serial \(PSKC.shown(assignment.serial)) is assigned twice")
      }
      seen.append(assignment.serial)
      let matching = keys.filter { $0.serial == assignment.serial }
      guard let key = matching.first else { throw CLIError(.usage, "serial \(PSKC.shown(assignment.serial)) is not in the file") }
      guard matching.count == 1 else { throw CLIError(.dataError, "serial \(PSKC.shown(assignment.serial)) is in the file twice") }
      tokens.append(
        ImportedToken(
          user: assignment.user, name: assignment.name, source: "serial \(key.serial)",
          kind: key.isTOTP ? .totp(step: key.step, lastUsedStep: nil) : .hotp(nextCounter: key.counter),
          secret: key.secret, algorithm: key.algorithm, digits: key.digits, origin: .pskc(serial: key.serial)))
    }
    return tokens
  }
}

/// `--key-file`: the pre-shared AES key, as hex text or as its raw bytes.
enum PreSharedKey {
  static func read(_ path: String) throws(CLIError) -> SensitiveBytes {
    let contents = try InputFile.read(path, limit: 4096)
    var bytes = contents.copyBytes()
    defer { SensitiveBytes.wipe(&bytes) }
    if [16, 24, 32].contains(bytes.count), !bytes.allSatisfy({ Hex.value(of: $0) != nil || $0 == 0x0A }) {
      return SensitiveBytes(bytes)
    }
    var hex = bytes.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    defer { SensitiveBytes.wipe(&hex) }
    guard var key = Hex.decode(hex), [16, 24, 32].contains(key.count) else {
      throw CLIError(.dataError, "\(path): not an AES key (32, 48 or 64 hex digits, or 16, 24 or 32 raw bytes)")
    }
    return SensitiveBytes(consuming: &key)
  }
}

/// `--passphrase-file`: the first line, without its line end.
enum Passphrase {
  static func read(_ path: String) throws(CLIError) -> SensitiveBytes {
    let contents = try InputFile.read(path, limit: 4096)
    var bytes = contents.copyBytes()
    defer { SensitiveBytes.wipe(&bytes) }
    var line = Array(bytes.prefix { $0 != 0x0A })
    if line.last == 0x0D { line.removeLast() }
    guard !line.isEmpty else { throw CLIError(.dataError, "\(path): the passphrase is empty") }
    return SensitiveBytes(consuming: &line)
  }
}
