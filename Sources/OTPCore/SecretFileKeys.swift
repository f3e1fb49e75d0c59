/// The key of an option line (`" KEY value...`), with everything about it:
/// its name, what a valid value looks like, how the value is read into a
/// `SecretFile` and how it is written from one. The parser and the writer
/// both work from these rows (`OptionKey.all`), so they cannot disagree
/// about a key; a new key is a new row here and its property in `SecretFile`.
public struct OptionKey: Sendable {
  typealias Read = @Sendable (inout SecretFile, [ArraySlice<UInt8>]) -> Bool
  typealias Write = @Sendable (SecretFile) -> [UInt8]?

  /// The key as written. Matched case-sensitively, as GA does.
  let nameBytes: [UInt8]
  /// What a valid value looks like, for error messages.
  let expectedValue: String
  /// Whether a new file has this line, in the order of `all`, as the
  /// google-authenticator CLI writes it. Other lines are added later, right
  /// after the secret, where GA's module puts them.
  let isEnrolmentLine: Bool
  /// Reads the value's fields into the file; false when they are not valid.
  let read: Read
  /// The fields as written, each after a space; nil when the file has no such line.
  let write: Write

  init(_ name: String, expecting expectedValue: String, enrolment: Bool = false, read: @escaping Read, write: @escaping Write) {
    self.nameBytes = Array(name.utf8)
    self.expectedValue = expectedValue
    self.isEnrolmentLine = enrolment
    self.read = read
    self.write = write
  }

  public var name: String { ASCII.string(nameBytes) }

  /// The key named `name`, or nil.
  init?(name: ArraySlice<UInt8>) {
    for key in Self.all where key.nameBytes.count == name.count && key.nameBytes.elementsEqual(name) {
      self = key
      return
    }
    return nil
  }
}

extension OptionKey: Equatable {
  public static func == (lhs: OptionKey, rhs: OptionKey) -> Bool { lhs.nameBytes == rhs.nameBytes }
}

/// The numbers of a secret file: each range is decided here once, and both
/// reading and writing use it.
enum SecretFileNumbers {
  static let time = SecretFileNumber<Int64>(range: SecretFile.timeRange, maxDigits: 12)
  /// From 0: a factory-fresh hardware token starts there. GA reads
  /// `HOTP_COUNTER 0` as "not HOTP" and, without TOTP_AUTH, accepts only
  /// scratch codes: it cannot take a wrong code for a right one.
  static let counter = SecretFileNumber<UInt64>(range: 0...SecretFile.maximumHOTPCounter, maxDigits: 19)
  static let tokenCounter = counter
  static let timeSkew = SecretFileNumber<Int64>(range: SecretFile.timeSkewRange, maxDigits: 19)
  /// The size of a skew GA records while it searches (the part after the sign).
  static let observedSkew = SecretFileNumber<Int64>(range: 0...9_999_999, maxDigits: 7)
  static let windowSize = setting(SecretFile.windowSizeRange)
  static let stepSize = setting(OneTimePassword.periodRange)
  static let digits = setting(OneTimePassword.digitRange)
  static let attempts = setting(RateLimit.attemptsRange)
  static let interval = setting(RateLimit.intervalRange)
  static let failureCount = setting(FailureCount.countRange)

  private static func setting(_ range: ClosedRange<Int>) -> SecretFileNumber<Int> {
    SecretFileNumber(range: range, maxDigits: 9)
  }

  /// GA's `STEP+SKEW` or `STEP-SKEW`.
  static func skewObservation(_ field: ArraySlice<UInt8>) -> SkewObservation? {
    guard let sign = field.firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == ASCII.minus }),
      let step = time.read(field[..<sign]), let size = observedSkew.read(field[(sign + 1)...])
    else { return nil }
    return SkewObservation(step: step, skew: field[sign] == ASCII.minus ? -size : size)
  }

  static func skewObservationText(_ observation: SkewObservation) -> [UInt8] {
    time.text(observation.step) + [observation.skew < 0 ? ASCII.minus : UInt8(ascii: "+")]
      + observedSkew.text(Int64(clamping: observation.skew.magnitude))
  }
}

private typealias Number = SecretFileNumbers

extension OptionKey {
  /// Every key: the fixed ones in the order new lines are placed, then
  /// GA's `LAST0`...`LAST9`.
  static let all: [OptionKey] = [
    .rateLimit, .windowSize, .stepSize, .disallowReuse, .totpAuth, .hotpCounter, .timeSkew, .resettingTimeSkew,
    .digits, .algorithm, .failures, .backoffUntil, .deliver, .deliveryCode, .deliveries, .knownHosts,
    .tokenName, .lastUsed, .token,
  ] + lastLoginKeys

  /// The lines of a new file, in the order the google-authenticator CLI
  /// writes them, then the extensions.
  static let enrolmentOrder: [OptionKey] = all.filter { $0.isEnrolmentLine }

  public static let rateLimit = OptionKey(
    "RATE_LIMIT",
    expecting: "ATTEMPTS SECONDS [TIME...] with attempts \(describe(RateLimit.attemptsRange, "-")) and seconds \(describe(RateLimit.intervalRange, "-"))",
    enrolment: true,
    read: { file, fields in
      guard fields.count >= 2, let attempts = Number.attempts.read(fields[0]),
        let interval = Number.interval.read(fields[1]), let times = Number.time.read(list: fields.dropFirst(2))
      else { return false }
      file.rateLimit = RateLimit(attempts: attempts, interval: interval, times: times)
      return true
    },
    write: { file in
      file.rateLimit.map {
        Number.attempts.field($0.attempts) + Number.interval.field($0.interval) + Number.time.fields($0.times)
      }
    })

  public static let windowSize = OptionKey(
    "WINDOW_SIZE", expecting: "a window of \(describe(SecretFile.windowSizeRange, " to ")) codes", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let size = Number.windowSize.read(fields[0]) else { return false }
      file.windowSize = size
      return true
    },
    write: { file in file.windowSize.map(Number.windowSize.field) })

  public static let stepSize = OptionKey(
    "STEP_SIZE", expecting: "a step of \(describe(OneTimePassword.periodRange, " to ")) seconds", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let step = Number.stepSize.read(fields[0]) else { return false }
      file.stepSize = step
      return true
    },
    write: { file in file.stepSize.map(Number.stepSize.field) })

  public static let disallowReuse = OptionKey(
    "DISALLOW_REUSE", expecting: "a list of used time steps", enrolment: true,
    read: { file, fields in
      guard let steps = Number.time.read(list: fields) else { return false }
      file.usedSteps = steps
      return true
    },
    write: { file in file.usedSteps.map(Number.time.fields) })

  /// TOTP_AUTH and HOTP_COUNTER each set the mode; the parser refuses a
  /// file that has both.
  public static let totpAuth = OptionKey(
    "TOTP_AUTH", expecting: "no value", enrolment: true,
    read: { file, fields in
      guard fields.isEmpty else { return false }
      file.mode = .totp
      return true
    },
    write: { file in file.mode == .totp ? [] : nil })

  public static let hotpCounter = OptionKey(
    "HOTP_COUNTER", expecting: "a counter from \(describe(0...SecretFile.maximumHOTPCounter, " to "))", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let counter = Number.counter.read(fields[0]) else { return false }
      file.mode = .hotp(nextCounter: counter)
      return true
    },
    write: { file in
      guard case .hotp(let counter) = file.mode else { return nil }
      return Number.counter.field(counter)
    })

  public static let timeSkew = OptionKey(
    "TIME_SKEW", expecting: "a skew in steps, between \(describe(SecretFile.timeSkewRange, " and "))",
    read: { file, fields in
      guard fields.count == 1, let skew = Number.timeSkew.read(fields[0]) else { return false }
      file.timeSkew = skew
      return true
    },
    write: { file in file.timeSkew.map(Number.timeSkew.field) })

  /// GA's `STEP+SKEW` or `STEP-SKEW` pairs.
  public static let resettingTimeSkew = OptionKey(
    "RESETTING_TIME_SKEW", expecting: "a list of STEP+SKEW or STEP-SKEW pairs",
    read: { file, fields in
      var observations: [SkewObservation] = []
      for field in fields {
        guard let sign = field.firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == ASCII.minus }),
          let step = Number.time.read(field[..<sign]),
          let size = Number.observedSkew.read(field[(sign + 1)...])
        else { return false }
        observations.append(SkewObservation(step: step, skew: field[sign] == ASCII.minus ? -size : size))
      }
      file.skewObservations = observations
      return true
    },
    write: { file in
      guard let observations = file.skewObservations else { return nil }
      // GA writes a space after the key even when the list is empty.
      var text: [UInt8] = [ASCII.space]
      for (index, observation) in observations.enumerated() {
        if index > 0 { text.append(ASCII.space) }
        text += Number.time.text(observation.step)
        text.append(observation.skew < 0 ? ASCII.minus : UInt8(ascii: "+"))
        text += Number.observedSkew.text(Int64(clamping: observation.skew.magnitude))
      }
      return text
    })

  public static let digits = OptionKey(
    "DIGITS", expecting: "6, 7 or 8", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let digits = Number.digits.read(fields[0]) else { return false }
      file.digits = digits
      return true
    },
    write: { file in file.digits.map(Number.digits.field) })

  public static let algorithm = OptionKey(
    "ALGORITHM", expecting: "SHA1, SHA256 or SHA512", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let algorithm = HashAlgorithm(name: fields[0]) else { return false }
      file.algorithm = algorithm
      return true
    },
    write: { file in file.algorithm.map { [ASCII.space] + Array($0.name.utf8) } })

  /// Wrong codes in a row, for the back-off (pam_otp's own line).
  public static let failures = OptionKey(
    "FAILURES", expecting: "COUNT TIME",
    read: { file, fields in
      guard fields.count == 2, let count = Number.failureCount.read(fields[0]), let time = Number.time.read(fields[1])
      else { return false }
      file.failures = FailureCount(count: count, last: time)
      return true
    },
    write: { file in file.failures.map { Number.failureCount.field($0.count) + Number.time.field($0.last) } })

  /// When the back-off the module decided ends (pam_otp's own line).
  public static let backoffUntil = OptionKey(
    "BACKOFF_UNTIL", expecting: "a time",
    read: { file, fields in
      guard fields.count == 1, let time = Number.time.read(fields[0]) else { return false }
      file.backoffUntil = time
      return true
    },
    write: { file in file.backoffUntil.map(Number.time.field) })

  public static let deliver = OptionKey(
    "DELIVER", expecting: "email:ADDRESS, sms:+NUMBER or push:TARGET", enrolment: true,
    read: { file, fields in
      guard fields.count == 1, let address = DeliveryAddress(parsing: fields[0]) else { return false }
      file.delivery = address
      return true
    },
    write: { file in file.delivery.map { [ASCII.space] + Array($0.text.utf8) } })

  /// The salted hash of the code last sent (salt and hash in hex).
  public static let deliveryCode = OptionKey(
    "DELIVERY_CODE", expecting: "EXPIRES SENT SALT HASH",
    read: { file, fields in
      guard fields.count == 4, let expires = Number.time.read(fields[0]), let sent = Number.time.read(fields[1]),
        let salt = Hex.decode(fields[2]), salt.count == SentCode.saltLength,
        let hash = Hex.decode(fields[3]), hash.count == sentCodeHashLength
      else { return false }
      file.sentCode = SentCode(expires: expires, sent: sent, salt: salt, hash: hash)
      return true
    },
    write: { file in
      // A salt or hash of another length cannot be read back: no line.
      guard let sent = file.sentCode, sent.salt.count == SentCode.saltLength, sent.hash.count == sentCodeHashLength
      else { return nil }
      return Number.time.field(sent.expires) + Number.time.field(sent.sent) + [ASCII.space] + Hex.encode(sent.salt)
        + [ASCII.space] + Hex.encode(sent.hash)
    })

  public static let deliveries = OptionKey(
    "DELIVERIES", expecting: "a list of times",
    read: { file, fields in
      guard let times = Number.time.read(list: fields) else { return false }
      file.deliveryTimes = times
      return true
    },
    write: { file in file.deliveryTimes.map(Number.time.fields) })

  /// The remote hosts of earlier logins, least recent first, for the
  /// `new-host` alert (pam_otp's own line; GA's `LASTn` serve
  /// `grace_period` and hold only hosts within it).
  public static let knownHosts = OptionKey(
    "KNOWN_HOSTS", expecting: "at most \(SecretFile.maximumKnownHosts) host names",
    read: { file, fields in
      guard fields.count <= SecretFile.maximumKnownHosts, fields.allSatisfy({ OptionLine.isHostName($0) }) else {
        return false
      }
      file.knownHosts = fields.map { Array($0) }
      return true
    },
    write: { file in
      // Only hosts the reader takes, and no more than it takes.
      file.knownHosts.map { hosts in
        var text: [UInt8] = []
        for host in hosts.filter({ OptionLine.isHostName($0) }).suffix(SecretFile.maximumKnownHosts) {
          text += [ASCII.space] + host
        }
        return text
      }
    })

  /// The primary token's name (pam_otp's own line); absent for
  /// `OTPToken.defaultName`, so files without it come back unchanged.
  public static let tokenName = OptionKey(
    "TOKEN_NAME", expecting: "a token name (a-z A-Z 0-9 . _ -, at most \(OTPToken.maximumNameLength))",
    read: { file, fields in
      guard fields.count == 1, OTPToken.isValidName(fields[0]) else { return false }
      file.primary.name = ASCII.string(fields[0])
      return true
    },
    write: { file in
      guard !file.primary.isNamed(OTPToken.defaultName)
        || file.lineOrder.contains(where: { $0.nameBytes.elementsEqual("TOKEN_NAME".utf8) })
      else { return nil }
      return [ASCII.space] + Array(file.primary.name.utf8)
    })

  /// When a code of the primary token last logged in (pam_otp's own line).
  public static let lastUsed = OptionKey(
    "LAST_USED", expecting: "a time",
    read: { file, fields in
      guard fields.count == 1, let time = Number.time.read(fields[0]) else { return false }
      file.primary.lastUsed = time
      return true
    },
    write: { file in file.primary.lastUsed.map(Number.time.field) })

  /// A further token, one line each (see `TokenLine`). The writer writes
  /// these lines itself, straight into the wiped output: they hold secrets.
  public static let token = OptionKey(
    "TOKEN", expecting: TokenLine.expectedValue,
    read: { file, fields in
      guard let token = TokenLine.read(fields) else { return false }
      file.others.append(token)
      return true
    },
    write: { _ in nil })

  /// GA's `LASTn HOST TIME`, one key per slot.
  public static func last(_ slot: Int) -> OptionKey {
    lastLoginKeys[min(max(slot, LastLogin.slots.lowerBound), LastLogin.slots.upperBound)]
  }

  private static let lastLoginKeys: [OptionKey] = LastLogin.slots.map { slot in
    OptionKey(
      "LAST" + ASCII.string([ASCII.zero + UInt8(truncatingIfNeeded: slot)]), expecting: "HOST TIME",
      read: { file, fields in
        guard fields.count == 2, OptionLine.isHostName(fields[0]), let time = Number.time.read(fields[1]) else {
          return false
        }
        file.lastLogins.append(LastLogin(slot: slot, host: Array(fields[0]), time: time))
        return true
      },
      write: { file in
        // A host the reader would refuse is not written.
        guard let login = file.lastLogins.first(where: { $0.slot == slot && OptionLine.isHostName($0.host) }) else {
          return nil
        }
        return [ASCII.space] + login.host + Number.time.field(login.time)
      })
  }

  /// HMAC-SHA256, the hash of a sent code.
  private static let sentCodeHashLength = HashAlgorithm.sha256.digestLength

  /// `1 to 100`, for the messages above.
  private static func describe<Value: FixedWidthInteger>(_ range: ClosedRange<Value>, _ separator: String) -> String {
    ASCII.string(Decimal.format(range.lowerBound) + Array(separator.utf8) + Decimal.format(range.upperBound))
  }
}
