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
        output += Hex.digits(of: byte, uppercase: true)
      }
    }
    return output
  }

  /// Decodes `%XX` escapes; nil for a truncated or non-hex escape. The
  /// output never grows past its first allocation (it is never longer than
  /// the input), so a decoded secret leaves no stray copy behind.
  static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8]? {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var iterator = bytes.makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else {
        output.append(byte)
        continue
      }
      guard let high = iterator.next().flatMap(Hex.value), let low = iterator.next().flatMap(Hex.value) else {
        SensitiveBytes.wipe(&output)
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
}
