/// Byte-level text helpers. The module works on bytes rather than `String`
/// comparisons: that keeps Unicode tables out of the Embedded build and makes
/// every rule about which characters are allowed explicit. Package-wide, so
/// the store and the CLI use these instead of copies of their own.
package enum ASCII {
  package static let space: UInt8 = 0x20
  package static let tab: UInt8 = 0x09
  package static let newline: UInt8 = 0x0A
  package static let carriageReturn: UInt8 = 0x0D
  package static let quote: UInt8 = 0x22
  package static let minus: UInt8 = 0x2D
  package static let zero: UInt8 = 0x30
  package static let nine: UInt8 = 0x39

  package static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }

  package static func isPrintable(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7F }

  package static func uppercased<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
    bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
  }

  /// `bytes` with every occurrence of `part` replaced, left to right
  /// (`${USER}` in a label, `%s` in an LDAP filter).
  package static func replacing(_ part: [UInt8], in bytes: [UInt8], with replacement: [UInt8]) -> [UInt8] {
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
      if !part.isEmpty, index + part.count <= bytes.count, bytes[index..<(index + part.count)].elementsEqual(part) {
        result += replacement
        index += part.count
      } else {
        result.append(bytes[index])
        index += 1
      }
    }
    return result
  }

  package static func string<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// The text with control characters and non-ASCII bytes shown as `?`, for
  /// error messages and log lines that quote untrusted input.
  package static func printable<Bytes: Collection<UInt8>>(_ bytes: Bytes, limit: Int = 64) -> String {
    var shown = bytes.prefix(limit).map { isPrintable($0) ? $0 : UInt8(ascii: "?") }
    if bytes.count > limit { shown += Array("...".utf8) }
    return string(shown)
  }

  /// Splits on single spaces and tabs, dropping empty fields.
  package static func fields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    line.split(whereSeparator: { $0 == space || $0 == tab })
  }
}

/// Decimal numbers as bytes, read without trapping on overflow or junk.
package enum Decimal {
  /// A non-negative decimal of at most `maxDigits` digits with no sign or
  /// spaces, or nil.
  package static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxDigits: Int = 19) -> UInt64? {
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
  package static func parseSigned<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64? {
    let negative = bytes.first == ASCII.minus
    guard let magnitude = parse(negative ? bytes.dropFirst() : bytes[...]), magnitude <= UInt64(Int64.max) else {
      return nil
    }
    return negative ? -Int64(magnitude) : Int64(magnitude)
  }

  /// Hands `body` the digits of `value`, most significant first, zero-padded
  /// on the left to `width`. No array is made, so a code or scratch code can
  /// go straight into a buffer that is wiped.
  package static func forEachDigit(of value: UInt64, width: Int = 0, _ body: (UInt8) -> Void) {
    var count = 1
    var power: UInt64 = 1
    while value / power >= 10 {
      power *= 10  // at most 10^19, which UInt64 holds
      count += 1
    }
    for _ in count..<max(width, count) { body(ASCII.zero) }
    var rest = value
    while power > 0 {
      body(ASCII.zero + UInt8(truncatingIfNeeded: rest / power))
      rest %= power
      power /= 10
    }
  }

  /// `value` written in decimal, zero-padded on the left to `width` digits.
  package static func format(_ value: UInt64, width: Int = 0) -> [UInt8] {
    var digits: [UInt8] = []
    digits.reserveCapacity(max(width, 20))
    forEachDigit(of: value, width: width) { digits.append($0) }
    return digits
  }

  /// `value` in decimal, after a `-` when it is negative.
  package static func format<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
    value < 0 ? [ASCII.minus] + format(UInt64(value.magnitude)) : format(UInt64(value))
  }
}
