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
    var sawTOTP = false
    var hotpCounter: UInt64? = nil

    while let (line, number) = lines.next() {
      if line.contains(0) { throw SecretFileError(line: number, .containsNUL) }
      if line.allSatisfy({ $0 == ASCII.space || $0 == ASCII.tab }) { continue }
      guard line.first == ASCII.quote else {
        try readScratchCode(line, number: number)
        continue
      }
      let (key, value) = try OptionLine.split(line, number: number)
      guard !lineOrder.contains(key) else { throw SecretFileError(line: number, .duplicateOption(key)) }
      lineOrder.append(key)
      guard try read(key, value, sawTOTP: &sawTOTP, hotpCounter: &hotpCounter) else {
        throw SecretFileError(line: number, .invalidValue(key))
      }
    }

    switch (sawTOTP, hotpCounter) {
    case (true, .some): throw SecretFileError(line: 0, .conflictingModes)
    case (true, nil): mode = .totp
    case (false, .some(let counter)): mode = .hotp(nextCounter: counter)
    case (false, nil): mode = .scratchCodesOnly
    }
    hasChanges = false
  }

  /// Reads one option's value; false when the value is not valid for it.
  private mutating func read(
    _ key: OptionKey, _ value: [ArraySlice<UInt8>], sawTOTP: inout Bool, hotpCounter: inout UInt64?
  ) throws(SecretFileError) -> Bool {
    switch key {
    case .rateLimit:
      guard value.count >= 2, let attempts = OptionLine.int(value[0], in: RateLimit.attemptsRange),
        let interval = OptionLine.int(value[1], in: RateLimit.intervalRange)
      else { return false }
      var times: [Int64] = []
      for field in value.dropFirst(2) {
        guard let time = OptionLine.time(field) else { return false }
        times.append(time)
      }
      rateLimit = RateLimit(attempts: attempts, interval: interval, times: times)
    case .windowSize:
      guard value.count == 1, let size = OptionLine.int(value[0], in: Self.windowSizeRange) else { return false }
      windowSize = size
    case .stepSize:
      guard value.count == 1, let step = OptionLine.int(value[0], in: OneTimePassword.periodRange) else {
        return false
      }
      stepSize = step
    case .disallowReuse:
      var steps: [Int64] = []
      for field in value {
        guard let step = OptionLine.time(field) else { return false }
        steps.append(step)
      }
      usedSteps = steps
    case .totpAuth:
      guard value.isEmpty else { return false }
      sawTOTP = true
    case .hotpCounter:
      guard value.count == 1, let counter = Decimal.parse(value[0]), counter >= 1 else { return false }
      hotpCounter = counter
    case .timeSkew:
      guard value.count == 1, let skew = Decimal.parseSigned(value[0]), abs(skew) <= 1_000_000 else {
        return false
      }
      timeSkew = skew
    case .resettingTimeSkew:
      var observations: [SkewObservation] = []
      for field in value {
        guard let observation = OptionLine.skewObservation(field) else { return false }
        observations.append(observation)
      }
      skewObservations = observations
    case .last(let slot):
      guard value.count == 2, OptionLine.isHostName(value[0]), let time = OptionLine.time(value[1]) else {
        return false
      }
      lastLogins.append(LastLogin(slot: slot, host: Array(value[0]), time: time))
    case .digits:
      guard value.count == 1, let count = OptionLine.int(value[0], in: OneTimePassword.digitRange) else {
        return false
      }
      digits = count
    case .algorithm:
      guard value.count == 1, let parsed = HashAlgorithm(name: value[0]) else { return false }
      algorithm = parsed
    case .deliver:
      guard value.count == 1, let address = DeliveryAddress(parsing: value[0]) else { return false }
      delivery = address
    case .deliveryCode:
      guard value.count == 4, let expires = OptionLine.time(value[0]), let sent = OptionLine.time(value[1]),
        let salt = Hex.decode(value[2]), salt.count == SentCode.saltLength,
        let hash = Hex.decode(value[3]), hash.count == 32
      else { return false }
      sentCode = SentCode(expires: expires, sent: sent, salt: salt, hash: hash)
    case .deliveries:
      var times: [Int64] = []
      for field in value {
        guard let time = OptionLine.time(field) else { return false }
        times.append(time)
      }
      deliveryTimes = times
    case .failures:
      guard value.count == 2, let count = OptionLine.int(value[0], in: 1...1_000_000), let time = OptionLine.time(value[1])
      else { return false }
      failures = FailureCount(count: count, last: time)
    }
    return true
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

  static func int(_ field: ArraySlice<UInt8>, in range: ClosedRange<Int>) -> Int? {
    guard let value = Decimal.parse(field, maxDigits: 9), range.contains(Int(value)) else { return nil }
    return Int(value)
  }

  /// A Unix time or time step: non-negative, at most 12 digits.
  static func time(_ field: ArraySlice<UInt8>) -> Int64? {
    Decimal.parse(field, maxDigits: 12).map { Int64($0) }
  }

  /// `STEP+SKEW` or `STEP-SKEW`, as GA writes them.
  static func skewObservation(_ field: ArraySlice<UInt8>) -> SkewObservation? {
    guard let sign = field.firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }),
      let step = time(field[..<sign]),
      let magnitude = Decimal.parse(field[(sign + 1)...], maxDigits: 7)
    else { return nil }
    let skew = Int64(magnitude)
    return SkewObservation(step: step, skew: field[sign] == UInt8(ascii: "-") ? -skew : skew)
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
