import Testing

@testable import OTPCore

struct Base32Tests {
  /// RFC 4648 section 10, with the padding a strict encoder leaves out.
  static let vectors: [(plain: String, encoded: String)] = [
    ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
    ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
  ]

  @Test(arguments: vectors)
  func rfc4648Vectors(plain: String, encoded: String) throws {
    let unpadded = String(encoded.filter { $0 != "=" })
    #expect(Base32.encodeString(Array(plain.utf8)) == unpadded)
    #expect(try Base32.decode(Array(encoded.utf8)) == Array(plain.utf8))
    #expect(try Base32.decode(Array(unpadded.utf8)) == Array(plain.utf8))
  }

  @Test func decodingToleratesHowPeopleCopySecrets() throws {
    let expected = Array("foobar".utf8)
    #expect(try Base32.decode(Array("mzxw6ytboi".utf8)) == expected)
    #expect(try Base32.decode(Array("MZXW 6YTB OI".utf8)) == expected)
    #expect(try Base32.decode(Array("mzxw-6ytb-oi==".utf8)) == expected)
    #expect(try Base32.decode(Array("MzXw6YtBoI======".utf8)) == expected)
  }

  @Test func rejectsCharactersOutsideTheAlphabet() {
    #expect(throws: Base32.DecodingError.invalidCharacter(offset: 2, byte: UInt8(ascii: "1"))) {
      try Base32.decode(Array("MZ1W6YTB".utf8))
    }
    #expect(throws: Base32.DecodingError.invalidCharacter(offset: 0, byte: UInt8(ascii: "8"))) {
      try Base32.decode(Array("8ZXW6YTB".utf8))
    }
    #expect(throws: Base32.DecodingError.invalidCharacter(offset: 4, byte: 0)) {
      try Base32.decode(Array("MZXW\0".utf8))
    }
  }

  @Test func rejectsLengthsThatEncodeNoWholeBytes() {
    for text in ["M", "MZX", "MZXW6Y", "MZXW6YTBO"] {
      #expect(throws: Base32.DecodingError.self) { try Base32.decode(Array(text.utf8)) }
    }
  }

  @Test func rejectsTextAfterPadding() {
    #expect(throws: Base32.DecodingError.misplacedPadding(offset: 2)) {
      try Base32.decode(Array("MY==MZXQ".utf8))
    }
  }

  @Test func errorsSayWhatIsWrong() {
    #expect(Base32.DecodingError.invalidCharacter(offset: 2, byte: UInt8(ascii: "1")).description
      == "invalid base32 character '1' at position 3")
    #expect(Base32.DecodingError.invalidCharacter(offset: 0, byte: 0x0A).description
      == "invalid base32 character 0x0A at position 1")
  }

  @Test func roundTripsEverySecretLength() throws {
    var generator = SystemRandomNumberGenerator()
    for length in 0...64 {
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
    }
  }
}
