/// An entry as a directory returned it: its DN and its attributes' values
/// (names compared case-insensitively, as LDAP does).
public struct DirectoryEntry: Sendable {
  public var dn: [UInt8]
  public var attributes: [(name: [UInt8], values: [[UInt8]])]

  public init(dn: [UInt8], attributes: [(name: [UInt8], values: [[UInt8]])] = []) {
    self.dn = dn
    self.attributes = attributes
  }

  public func values(_ name: String) -> [[UInt8]] {
    let wanted = FleetConfiguration.lowercased(Array(name.utf8))
    return attributes.first { FleetConfiguration.lowercased($0.name) == wanted }?.values ?? []
  }

  public func value(_ name: String) -> [UInt8]? { values(name).first }

  public func integer(_ name: String) -> Int64? {
    guard let text = value(name) else { return nil }
    if text.first == UInt8(ascii: "-") {
      return Decimal.parse(text.dropFirst(), maxDigits: 18).map { -Int64($0) }
    }
    return Decimal.parse(text, maxDigits: 18).map { Int64($0) }
  }

  public func hasObjectClass(_ name: String) -> Bool {
    let wanted = FleetConfiguration.lowercased(Array(name.utf8))
    return values("objectClass").contains { FleetConfiguration.lowercased($0) == wanted }
  }
}

/// One OATH-LDAP token (`oathTOTPToken` / `oathHOTPToken`) with its
/// parameters, as a `SecretFile` the verifier judges, plus the state the
/// directory holds for the whole fleet.
///
/// State, as pam_otp keeps it in the directory:
/// - `oathTOTPLastTimeStep`: the last TOTP step accepted anywhere; only
///   later steps are accepted.
/// - `oathHOTPCounter`: the next HOTP counter to accept.
/// - `oathFailureCount`, `oathLastFailure`: wrong codes since the last
///   success, for the back-off shared by every host.
public struct FleetToken {
  public var dn: [UInt8]
  /// What the log calls it: `oathTokenIdentifier`, or its RDN's value.
  public var name: [UInt8]
  public var file: SecretFile
  public var lastStep: Int64?
  public var failureCount: Int64
  public var hasFailureCount: Bool

  public enum Problem: Error, Sendable {
    case notAToken
    case secret
    case parameters(String)

    public var description: String {
      switch self {
      case .notAToken: "entry is neither oathTOTPToken nor oathHOTPToken"
      case .secret: "oathSecret missing or shorter than 10 bytes"
      case .parameters(let reason): "parameters: \(reason)"
      }
    }
  }

  /// `params`: the entry `oathTOTPParams`/`oathHOTPParams` names, if any
  /// (without one: 6 digits, SHA1, 30 s, a window of 3 steps / 3 counters).
  public init(entry: DirectoryEntry, params: DirectoryEntry?) throws(Problem) {
    let isTOTP = entry.hasObjectClass("oathTOTPToken")
    guard isTOTP || entry.hasObjectClass("oathHOTPToken") else { throw .notAToken }
    guard let secret = entry.value("oathSecret"), secret.count >= SecretFile.minimumSecretBytes, secret.count <= 128
    else { throw .secret }
    var mode = SecretFile.Mode.totp
    if !isTOTP {
      let counter = entry.integer("oathHOTPCounter") ?? 0
      guard counter >= 0 else { throw .parameters("negative oathHOTPCounter") }
      mode = .hotp(nextCounter: UInt64(counter))
    }
    var file = SecretFile(secret: SensitiveBytes(secret), mode: mode)
    if let params {
      if let length = params.integer("oathOTPLength") {
        guard (6...8).contains(length) else { throw .parameters("oathOTPLength must be 6, 7 or 8") }
        file.digits = Int(length)
      }
      if let oid = params.value("oathHMACAlgorithm") {
        if oid == Array("1.2.840.113549.2.7".utf8) {
          file.algorithm = .sha1
        } else if oid == Array("1.2.840.113549.2.9".utf8) {
          file.algorithm = .sha256
        } else if oid == Array("1.2.840.113549.2.11".utf8) {
          file.algorithm = .sha512
        } else {
          throw .parameters("unknown oathHMACAlgorithm")
        }
      }
      if isTOTP {
        if let period = params.integer("oathTOTPTimeStepPeriod") {
          guard (1...3600).contains(period) else { throw .parameters("oathTOTPTimeStepPeriod out of range") }
          file.stepSize = Int(period)
        }
        // Steps either side of the current one.
        if let tolerance = params.integer("oathTOTPTimeStepWindow") {
          guard (0...49).contains(tolerance) else { throw .parameters("oathTOTPTimeStepWindow out of range") }
          file.windowSize = Int(2 * tolerance + 1)
        }
      } else if let lookAhead = params.integer("oathHOTPLookAhead") {
        guard (0...99).contains(lookAhead) else { throw .parameters("oathHOTPLookAhead out of range") }
        file.windowSize = Int(lookAhead + 1)
      }
    }
    let failures = entry.integer("oathFailureCount")
    let lastFailure = entry.value("oathLastFailure").flatMap(GeneralizedTime.parse)
    if let count = failures, count > 0 {
      file.failures = FailureCount(
        count: Int(min(count, Int64(FailureCount.countRange.upperBound))), last: lastFailure ?? 0)
    }
    self.dn = entry.dn
    self.name = entry.value("oathTokenIdentifier") ?? Self.firstRDNValue(entry.dn)
    self.file = file
    self.lastStep = isTOTP ? entry.integer("oathTOTPLastTimeStep") : nil
    self.failureCount = max(failures ?? 0, 0)
    self.hasFailureCount = failures != nil
  }
}

extension FleetToken {
  /// The value of a DN's first RDN, unescaped (`cn=alice-1,ou=...` →
  /// `alice-1`): the name of a token entry without `oathTokenIdentifier`.
  public static func firstRDNValue(_ dn: [UInt8]) -> [UInt8] {
    var value: [UInt8] = []
    var inValue = false
    var index = 0
    while index < dn.count {
      let byte = dn[index]
      if byte == UInt8(ascii: "\\"), index + 1 < dn.count {
        if inValue { value.append(dn[index + 1]) }
        index += 2
        continue
      }
      if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "+") { break }
      if byte == UInt8(ascii: "="), !inValue {
        inValue = true
      } else if inValue {
        value.append(byte)
      }
      index += 1
    }
    return value
  }
}

/// LDAP's GeneralizedTime (`YYYYMMDDHHMMSSZ`), UTC only, as Unix seconds.
public enum GeneralizedTime {
  public static func parse(_ text: [UInt8]) -> Int64? {
    guard text.count == 15, text.last == UInt8(ascii: "Z") else { return nil }
    func number(_ range: Range<Int>) -> Int64? { Decimal.parse(text[range], maxDigits: 4).map { Int64($0) } }
    guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(8..<10),
      let minute = number(10..<12), let second = number(12..<14), (1...12).contains(month), (1...31).contains(day),
      hour < 24, minute < 60, second < 61
    else { return nil }
    return days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
  }

  public static func format(_ time: Int64) -> [UInt8] {
    let clamped = max(time, 0)
    let days = clamped / 86_400
    let seconds = clamped % 86_400
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468
    let era = z / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func digits(_ value: Int64, _ count: Int) -> [UInt8] {
      var result = [UInt8](repeating: UInt8(ascii: "0"), count: count)
      var rest = value
      for index in stride(from: count - 1, through: 0, by: -1) {
        result[index] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      }
      return result
    }
    return digits(year, 4) + digits(month, 2) + digits(day, 2) + digits(seconds / 3600, 2)
      + digits(seconds % 3600 / 60, 2) + digits(seconds % 60, 2) + [UInt8(ascii: "Z")]
  }

  /// Days since 1970-01-01 (days_from_civil).
  static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = y / 400
    let yoe = y - era * 400
    let mp = month > 2 ? month - 3 : month + 9
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }
}
