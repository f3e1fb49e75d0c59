/// Byte-level text helpers. The module works on bytes rather than `String`
/// comparisons: that keeps Unicode tables out of the Embedded build and makes
/// every rule about which characters are allowed explicit.
enum ASCII {
  static let space: UInt8 = 0x20
  static let tab: UInt8 = 0x09
  static let newline: UInt8 = 0x0A
  static let carriageReturn: UInt8 = 0x0D
  static let quote: UInt8 = 0x22
  static let zero: UInt8 = 0x30
  static let nine: UInt8 = 0x39

  static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }

  static func isPrintable(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7F }

  static func uppercased<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
    bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
  }

  static func string<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// The text with control characters and non-ASCII bytes shown as `?`, for
  /// error messages and log lines that quote untrusted input.
  static func printable<Bytes: Collection<UInt8>>(_ bytes: Bytes, limit: Int = 64) -> String {
    var shown = bytes.prefix(limit).map { isPrintable($0) ? $0 : UInt8(ascii: "?") }
    if bytes.count > limit { shown += Array("...".utf8) }
    return string(shown)
  }

  /// Splits on single spaces and tabs, dropping empty fields.
  static func fields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    line.split(whereSeparator: { $0 == space || $0 == tab })
  }
}

/// Parses unsigned decimals from bytes without trapping on overflow or junk.
enum Decimal {
  /// A non-negative decimal of at most `maxDigits` digits with no sign or
  /// spaces, or nil.
  static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxDigits: Int = 19) -> UInt64? {
    guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
    var value: UInt64 = 0
    for byte in bytes {
      guard ASCII.isDigit(byte) else { return nil }
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - ASCII.zero))
      guard !overflow1, !overflow2 else { return nil }
      value = sum
    }
    return value
  }

  /// A decimal with an optional leading `-`, within Int64.
  static func parseSigned<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
    if bytes.first == UInt8(ascii: "-") {
      guard let magnitude = parse(bytes.dropFirst()), magnitude <= UInt64(Int64.max) else { return nil }
      return -Int64(magnitude)
    }
    guard let magnitude = parse(bytes), magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
  }

  /// `value` written in decimal, zero-padded on the left to `width` digits.
  static func format(_ value: UInt64, width: Int = 0) -> [UInt8] {
    var digits: [UInt8] = []
    var rest = value
    repeat {
      digits.append(ASCII.zero + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    while digits.count < width { digits.append(ASCII.zero) }
    return digits.reversed()
  }

  static func format(_ value: Int64) -> [UInt8] {
    value < 0 ? [UInt8(ascii: "-")] + format(value.magnitude) : format(UInt64(value))
  }
}
