/// Hexadecimal digits: salts and hashes in the secret file (lower case),
/// percent-escapes and bytes quoted in messages (upper case). Package-wide,
/// so that nothing in the package keeps a digit table of its own.
package enum Hex {
  package static func digit(_ value: UInt8, uppercase: Bool = false) -> UInt8 {
    let nibble = value & 0x0F
    if nibble < 10 { return ASCII.zero + nibble }
    return (uppercase ? UInt8(ascii: "A") : UInt8(ascii: "a")) + nibble - 10
  }

  /// The two digits of `byte`, high nibble first.
  package static func digits(of byte: UInt8, uppercase: Bool = false) -> [UInt8] {
    [digit(byte >> 4, uppercase: uppercase), digit(byte, uppercase: uppercase)]
  }

  package static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes, uppercase: Bool = false) -> [UInt8] {
    var text: [UInt8] = []
    text.reserveCapacity(2 * bytes.count)
    for byte in bytes {
      text.append(digit(byte >> 4, uppercase: uppercase))
      text.append(digit(byte, uppercase: uppercase))
    }
    return text
  }

  /// The value of one digit in either case, or nil.
  package static func value(of digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    default: nil
    }
  }

  /// Pairs of digits in either case; nil for an odd count or a non-digit.
  package static func decode<Bytes: Collection<UInt8>>(_ text: Bytes) -> [UInt8]? {
    guard text.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.count / 2)
    var iterator = text.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
      guard let highValue = value(of: high), let lowValue = value(of: low) else { return nil }
      bytes.append(highValue << 4 | lowValue)
    }
    return bytes
  }
}
