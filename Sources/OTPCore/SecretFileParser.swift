extension SecretFile {
  /// Parses a secret file. Reading is tolerant where GA is (Base32 in any
  /// case with spaces, dashes or padding; CRLF; blank lines) and strict
  /// everywhere else: an unknown or repeated option, a value out of range or
  /// a stray line is an error naming the line, never a guess.
  public init(parsing bytes: UnsafeRawBufferPointer) throws(SecretFileError) {
    guard !bytes.isEmpty else { throw SecretFileError(line: 0, .empty) }
    // One copy of the file, sliced line by line (no copy per line), wiped
    // when parsing ends: it holds the secret.
    var text = Array(bytes)
    defer { SensitiveBytes.wipe(&text) }
    try self.init(parsingText: text)
  }

  private init(parsingText text: [UInt8]) throws(SecretFileError) {
    var lines = LineReader(text)
    guard let (secretLine, _) = lines.next() else { throw SecretFileError(line: 1, .empty) }
    if secretLine.contains(0) { throw SecretFileError(line: 1, .containsNUL) }

    var decoded: [UInt8]
    do { decoded = try Base32.decode(secretLine) } catch {
      throw SecretFileError(line: 1, .invalidSecret(error))
    }
    guard decoded.count >= Self.minimumSecretBytes else {
      let bits = decoded.count * 8
      SensitiveBytes.wipe(&decoded)
      throw SecretFileError(line: 1, .secretTooShort(bits: bits))
    }
    self.init(secret: SensitiveBytes(consuming: &decoded), mode: .scratchCodesOnly)
    lineOrder = []
    var tokenLines: [Int] = []
    var tokenNameLine = 0

    while let (line, number) = lines.next() {
      if line.contains(0) { throw SecretFileError(line: number, .containsNUL) }
      if line.allSatisfy({ $0 == ASCII.space || $0 == ASCII.tab }) { continue }
      guard line.first == ASCII.quote else {
        try readScratchCode(line, number: number)
        continue
      }
      let (key, fields) = try OptionLine.split(line, number: number)
      if key == .token {
        // One line per further token: repeated, bounded in length and number.
        guard line.count <= TokenLine.maximumLength else { throw SecretFileError(line: number, .lineTooLong) }
        guard tokenLines.count + 1 < OTPToken.maximumCount else { throw SecretFileError(line: number, .tooManyTokens) }
        tokenLines.append(number)
        if !lineOrder.contains(key) { lineOrder.append(key) }
      } else {
        guard !lineOrder.contains(key) else { throw SecretFileError(line: number, .duplicateOption(key)) }
        lineOrder.append(key)
      }
      guard key.read(&self, fields) else { throw SecretFileError(line: number, .invalidValue(key)) }
      if key == .tokenName { tokenNameLine = number }
    }
    // Names are unique: the later of two is the error.
    let names = tokens.map { $0.name }
    for index in names.indices.dropFirst() where names[..<index].contains(where: { OTPToken.sameName($0, names[index]) }) {
      let line = tokenLines.indices.contains(index - 1) ? tokenLines[index - 1] : 0
      throw SecretFileError(line: max(line, tokenNameLine), .duplicateTokenName(Array(names[index].utf8)))
    }
    // Each mode line sets the mode; a file with both is refused, not guessed at.
    if lineOrder.contains(.totpAuth) && lineOrder.contains(.hotpCounter) {
      throw SecretFileError(line: 0, .conflictingModes)
    }
    hasChanges = false
  }

  /// A scratch code: exactly 8 digits, not starting with 0 (GA's range).
  private mutating func readScratchCode(_ line: ArraySlice<UInt8>, number: Int) throws(SecretFileError) {
    guard line.count == 8, let value = Decimal.parse(line), Self.scratchCodeRange.contains(UInt32(value))
    else { throw SecretFileError(line: number, .invalidScratchCode) }
    let code = UInt32(value)
    guard !scratchCodes.contains(code) else { throw SecretFileError(line: number, .duplicateScratchCode) }
    guard scratchCodes.count < Self.maximumScratchCodes else {
      throw SecretFileError(line: number, .tooManyScratchCodes)
    }
    scratchCodes.append(code)
  }
}

/// Splits a file into lines on `\n`, dropping a `\r` before it.
struct LineReader {
  private let bytes: [UInt8]
  private var offset = 0
  private var number = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func next() -> (ArraySlice<UInt8>, Int)? {
    guard offset < bytes.count else { return nil }
    var end = offset
    while end < bytes.count && bytes[end] != ASCII.newline { end += 1 }
    var line = bytes[offset..<end]
    if line.last == ASCII.carriageReturn { line = line.dropLast() }
    offset = end + 1
    number += 1
    return (line, number)
  }
}

/// The grammar of `" KEY value...` lines.
enum OptionLine {
  /// GA's rule: a quote, exactly one space, the key, then the end of the
  /// line or whitespace and the value's fields.
  static func split(_ line: ArraySlice<UInt8>, number: Int) throws(SecretFileError)
    -> (OptionKey, [ArraySlice<UInt8>])
  {
    let body = line.dropFirst()
    guard body.first == ASCII.space, let second = body.dropFirst().first,
      second != ASCII.space && second != ASCII.tab
    else { throw SecretFileError(line: number, .unknownOption(Array(line))) }
    let fields = ASCII.fields(body.dropFirst())
    guard let name = fields.first, let key = OptionKey(name: name) else {
      throw SecretFileError(line: number, .unknownOption(Array(fields.first ?? body)))
    }
    return (key, Array(fields.dropFirst()))
  }

  /// The characters GA accepts in a stored remote host (`[0-9a-zA-Z:.-]`).
  static func isHostName<Bytes: Collection<UInt8>>(_ host: Bytes) -> Bool {
    guard !host.isEmpty, host.count <= 255 else { return false }
    return host.allSatisfy { byte in
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "-"):
        true
      default: false
      }
    }
  }
}
