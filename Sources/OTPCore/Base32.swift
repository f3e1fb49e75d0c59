/// Base32 of RFC 4648 section 6, as authenticator apps show secrets.
/// Decoding is tolerant of how people copy them (either case, spaces, dashes,
/// `=` padding); encoding is strict (upper case, no padding).
public enum Base32 {
  static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

  public enum DecodingError: Error, Equatable, Sendable {
    /// A byte outside the alphabet, at its offset in the input.
    case invalidCharacter(offset: Int, byte: UInt8)
    /// `=` followed by something other than more `=`.
    case misplacedPadding(offset: Int)
    /// A symbol count that no whole number of bytes encodes (1, 3 or 6 mod 8).
    case invalidLength(symbols: Int)

    public var description: String {
      switch self {
      case .invalidCharacter(let offset, let byte):
        "invalid base32 character \(Base32.show(byte)) at position \(offset + 1)"
      case .misplacedPadding(let offset):
        "base32 padding '=' followed by more text at position \(offset + 1)"
      case .invalidLength(let symbols):
        "base32 text of \(symbols) characters does not encode whole bytes"
      }
    }
  }

  public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(encodedLength(of: bytes.count))
    encode(bytes) { output.append($0) }
    return output
  }

  /// Hands `body` the symbols one at a time, so that the text of a secret
  /// can go straight into a buffer that is wiped, with no array between.
  public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ body: (UInt8) -> Void) {
    var buffer: UInt32 = 0
    var bits = 0
    for byte in bytes {
      buffer = (buffer << 8) | UInt32(byte)
      bits += 8
      while bits >= 5 {
        body(alphabet[Int((buffer >> UInt32(bits - 5)) & 0x1F)])
        bits -= 5
      }
    }
    if bits > 0 { body(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)]) }
    buffer = 0
  }

  /// Symbols for `count` bytes, without padding.
  public static func encodedLength(of count: Int) -> Int { (count * 8 + 4) / 5 }

  /// The text as a `String`, for showing it; the bytes it was built in are wiped.
  public static func encodeString<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    var text = encode(bytes)
    defer { SensitiveBytes.wipe(&text) }
    return ASCII.string(text)
  }

  public static func decode<Bytes: Collection<UInt8>>(_ text: Bytes) throws(DecodingError) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(text.count * 5 / 8)
    var buffer: UInt32 = 0
    var bits = 0
    var symbols = 0
    var paddingAt: Int? = nil
    for (offset, byte) in text.enumerated() {
      if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == ASCII.tab { continue }
      if byte == UInt8(ascii: "=") {
        if paddingAt == nil { paddingAt = offset }
        continue
      }
      if let padding = paddingAt {
        SensitiveBytes.wipe(&output)
        throw .misplacedPadding(offset: padding)
      }
      guard let value = symbolValue(byte) else {
        SensitiveBytes.wipe(&output)
        throw .invalidCharacter(offset: offset, byte: byte)
      }
      symbols += 1
      buffer = (buffer << 5) | UInt32(value)
      bits += 5
      if bits >= 8 {
        output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
        bits -= 8
        buffer &= (1 << UInt32(bits)) - 1
      }
    }
    switch symbols % 8 {
    case 1, 3, 6:
      SensitiveBytes.wipe(&output)
      throw .invalidLength(symbols: symbols)
    default:
      buffer = 0
      return output
    }
  }

  static func symbolValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a")
    case UInt8(ascii: "2")...UInt8(ascii: "7"): byte - UInt8(ascii: "2") + 26
    default: nil
    }
  }

  static func show(_ byte: UInt8) -> String {
    ASCII.isPrintable(byte) ? "'\(ASCII.string([byte]))'" : "0x\(ASCII.string(Hex.digits(of: byte, uppercase: true)))"
  }
}
