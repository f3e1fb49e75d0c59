/// The line of a further token, one per token, after GA's lines:
///
///     " TOKEN yubikey-5 HOTP secret=GEZDGNBV... counter=0 window=3 last=1700000000
///     " TOKEN phone TOTP secret=JBSWY3DP... digits=8 step=30 used=56666666,56666667 skew=0
///
/// The name and the kind come first, then `key=value` fields in any order,
/// each at most once: `secret` (Base32, required), `algorithm`, `digits`,
/// `window`, `step` (TOTP), `counter` (HOTP, the next to accept, from 0),
/// `used` (the TOTP steps used, comma-separated; present means a code is
/// refused the second time, as DISALLOW_REUSE does), `skew`, `resetting`
/// (GA's skew search, `STEP+SKEW,...`), `last` (last login) and
/// `active=no` (awaiting confirmation). GA's module matches option keys at
/// the start of a line, so it never reads these.
enum TokenLine {
  /// A token line holds up to 256 used steps; nothing legitimate is longer.
  static let maximumLength = 4096
  /// A secret of more than 128 bytes is no one's token.
  static let maximumSecretBytes = 128

  static let expectedValue =
    "NAME TOTP|HOTP secret=BASE32 [algorithm= digits= window= step= counter= used= skew= resetting= last= active=no]"

  static func read(_ fields: [ArraySlice<UInt8>]) -> OTPToken? {
    guard fields.count >= 3, OTPToken.isValidName(fields[0]) else { return nil }
    var values: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
    for field in fields.dropFirst(2) {
      guard let equals = field.firstIndex(of: UInt8(ascii: "=")) else { return nil }
      let key = field[..<equals]
      guard !values.contains(where: { $0.key.elementsEqual(key) }) else { return nil }
      values.append((key, field[(equals + 1)...]))
    }
    func value(_ name: String) -> ArraySlice<UInt8>? {
      values.first { $0.key.elementsEqual(name.utf8) }?.value
    }
    let known = ["secret", "algorithm", "digits", "window", "step", "counter", "used", "skew", "resetting", "last", "active"]
    guard values.allSatisfy({ entry in known.contains { entry.key.elementsEqual($0.utf8) } }) else { return nil }

    let isHOTP: Bool
    if fields[1].elementsEqual("TOTP".utf8) {
      isHOTP = false
    } else if fields[1].elementsEqual("HOTP".utf8) {
      isHOTP = true
    } else {
      return nil
    }
    // The kind decides which fields belong: a counter is HOTP's, a step,
    // used steps and skew are TOTP's.
    guard isHOTP == (value("counter") != nil),
      !isHOTP || (value("step") == nil && value("used") == nil && value("skew") == nil && value("resetting") == nil)
    else { return nil }

    guard let secretText = value("secret"), secretText.count <= Base32.encodedLength(of: maximumSecretBytes) + 8
    else { return nil }
    var decoded: [UInt8]
    do { decoded = try Base32.decode(secretText) } catch { return nil }
    guard decoded.count >= SecretFile.minimumSecretBytes, decoded.count <= maximumSecretBytes else {
      SensitiveBytes.wipe(&decoded)
      return nil
    }
    let secret = SensitiveBytes(consuming: &decoded)

    var mode = SecretFile.Mode.totp
    if let counter = value("counter") {
      guard let next = SecretFileNumbers.tokenCounter.read(counter) else { return nil }
      mode = .hotp(nextCounter: next)
    }
    var token = OTPToken(name: ASCII.string(fields[0]), secret: secret, mode: mode)
    if let text = value("algorithm") {
      guard let algorithm = HashAlgorithm(name: text) else { return nil }
      token.algorithm = algorithm
    }
    if let text = value("digits") {
      guard let digits = SecretFileNumbers.digits.read(text) else { return nil }
      token.digits = digits
    }
    if let text = value("window") {
      guard let window = SecretFileNumbers.windowSize.read(text) else { return nil }
      token.windowSize = window
    }
    if let text = value("step") {
      guard let step = SecretFileNumbers.stepSize.read(text) else { return nil }
      token.stepSize = step
    }
    if let text = value("used") {
      let steps = text.isEmpty ? [] : text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
      guard steps.count <= SecretFile.maximumUsedSteps, let used = SecretFileNumbers.time.read(list: steps) else {
        return nil
      }
      token.usedSteps = used
    }
    if let text = value("skew") {
      guard let skew = SecretFileNumbers.timeSkew.read(text) else { return nil }
      token.timeSkew = skew
    }
    if let text = value("resetting") {
      let pairs = text.isEmpty ? [] : text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
      var observations: [SkewObservation] = []
      for pair in pairs.prefix(4) {
        guard let observation = SecretFileNumbers.skewObservation(pair) else { return nil }
        observations.append(observation)
      }
      guard pairs.count <= 3 else { return nil }
      token.skewObservations = observations
    }
    if let text = value("last") {
      guard let last = SecretFileNumbers.time.read(text) else { return nil }
      token.lastUsed = last
    }
    if let text = value("active") {
      guard text.elementsEqual("no".utf8) else { return nil }
      token.isActive = false
    }
    return token
  }

  /// Appends ` NAME KIND secret=... ...` (the part after `" TOKEN`) to
  /// `output`; the secret goes nowhere else. A value out of range is
  /// brought into it, so what is written always reads back.
  static func write(_ token: OTPToken, to output: SensitiveBytes) {
    let name = OTPToken.isValidName(token.name) ? Array(token.name.utf8) : Array("token".utf8)
    output.append(contentsOf: [ASCII.space] + name + [ASCII.space])
    let counter: UInt64?
    switch token.mode {
    case .hotp(let next):
      output.append(contentsOf: "HOTP".utf8)
      counter = next
    case .totp, .scratchCodesOnly:
      output.append(contentsOf: "TOTP".utf8)
      counter = nil
    }
    output.append(contentsOf: " secret=".utf8)
    token.secret.withUnsafeBytes { key in Base32.encode(key) { symbol in output.append(symbol) } }
    var fields: [UInt8] = []
    func add(_ key: String, _ value: [UInt8]) { fields += [ASCII.space] + Array(key.utf8) + [UInt8(ascii: "=")] + value }
    if let algorithm = token.algorithm { add("algorithm", Array(algorithm.name.utf8)) }
    if let digits = token.digits { add("digits", SecretFileNumbers.digits.text(digits)) }
    if let window = token.windowSize { add("window", SecretFileNumbers.windowSize.text(window)) }
    if let counter {
      add("counter", SecretFileNumbers.tokenCounter.text(counter))
    } else {
      if let step = token.stepSize { add("step", SecretFileNumbers.stepSize.text(step)) }
      if let used = token.usedSteps {
        add("used", joined(used.suffix(SecretFile.maximumUsedSteps).map(SecretFileNumbers.time.text)))
      }
      if let skew = token.timeSkew { add("skew", SecretFileNumbers.timeSkew.text(skew)) }
      if let observations = token.skewObservations, !observations.isEmpty {
        add("resetting", joined(observations.suffix(3).map(SecretFileNumbers.skewObservationText)))
      }
    }
    if let last = token.lastUsed { add("last", SecretFileNumbers.time.text(last)) }
    if !token.isActive { add("active", Array("no".utf8)) }
    output.append(contentsOf: fields)
  }

  private static func joined(_ values: [[UInt8]]) -> [UInt8] {
    var text: [UInt8] = []
    for (index, value) in values.enumerated() {
      if index > 0 { text.append(UInt8(ascii: ",")) }
      text += value
    }
    return text
  }
}
