/// Percent-encoding of RFC 3986 for the parts of an otpauth URI.
enum PercentEncoding {
  /// Encodes every byte except the unreserved characters (letters, digits,
  /// `-` `.` `_` `~`). Strict on purpose: `:` `/` `#` `+` `&` `?` `=` and
  /// spaces in names must survive any URI parser, including the form-style
  /// ones that read `+` as a space.
  static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
    var output: [UInt8] = []
    for byte in bytes {
      if isUnreserved(byte) {
        output.append(byte)
      } else {
        output.append(UInt8(ascii: "%"))
        output.append(contentsOf: Array(Base32.hex(byte).utf8))
      }
    }
    return output
  }

  /// Decodes `%XX` escapes; nil for a truncated or non-hex escape.
  static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8]? {
    var output: [UInt8] = []
    var iterator = bytes.makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else {
        output.append(byte)
        continue
      }
      guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
        return nil
      }
      output.append(high << 4 | low)
    }
    return output
  }

  static func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
      UInt8(ascii: "~"):
      true
    default: false
    }
  }

  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
  }
}

/// Lower-case hexadecimal, for salts and hashes in the secret file.
enum Hex {
  static func encode(_ bytes: [UInt8]) -> [UInt8] {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
    return text
  }

  static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
    guard text.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
      guard let high = PercentEncoding.hexValue(text[index]), let low = PercentEncoding.hexValue(text[index + 1]) else {
        return nil
      }
      bytes.append(high << 4 | low)
      index += 2
    }
    return bytes
  }
}
