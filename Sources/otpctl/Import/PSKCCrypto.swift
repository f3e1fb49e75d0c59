import CCrypto
import OTPCore

/// The cryptography of RFC 6030 §6, from OpenSSL's libcrypto: AES-CBC for
/// encrypted values (the IV is the first 16 bytes of the CipherValue),
/// HMAC over IV || ciphertext for their MACs, and PBKDF2 (RFC 8018) for keys
/// derived from a passphrase.
enum PSKCCrypto {
  enum Cipher {
    case aes128CBC, aes192CBC, aes256CBC

    init?(uri: String) {
      switch uri {
      case "http://www.w3.org/2001/04/xmlenc#aes128-cbc": self = .aes128CBC
      case "http://www.w3.org/2001/04/xmlenc#aes192-cbc": self = .aes192CBC
      case "http://www.w3.org/2001/04/xmlenc#aes256-cbc": self = .aes256CBC
      default: return nil
      }
    }

    var keyLength: Int {
      switch self {
      case .aes128CBC: 16
      case .aes192CBC: 24
      case .aes256CBC: 32
      }
    }

    var name: String { "AES-\(keyLength * 8)-CBC" }

    fileprivate var evp: OpaquePointer? {
      switch self {
      case .aes128CBC: EVP_aes_128_cbc()
      case .aes192CBC: EVP_aes_192_cbc()
      case .aes256CBC: EVP_aes_256_cbc()
      }
    }
  }

  enum MAC {
    case hmacSHA1, hmacSHA256, hmacSHA512

    init?(uri: String) {
      switch uri {
      case "http://www.w3.org/2000/09/xmldsig#hmac-sha1": self = .hmacSHA1
      case "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": self = .hmacSHA256
      case "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": self = .hmacSHA512
      default: return nil
      }
    }

    fileprivate var evp: OpaquePointer? {
      switch self {
      case .hmacSHA1: EVP_sha1()
      case .hmacSHA256: EVP_sha256()
      case .hmacSHA512: EVP_sha512()
      }
    }
  }

  /// Decrypts IV || ciphertext (PKCS#7 padding); nil when the key is wrong
  /// for the padding or the value is not whole blocks.
  static func decrypt(_ value: [UInt8], cipher: Cipher, key: SensitiveBytes) -> SensitiveBytes? {
    guard key.count == cipher.keyLength, value.count >= 32, value.count % 16 == 0 else { return nil }
    guard let context = EVP_CIPHER_CTX_new() else { return nil }
    defer { EVP_CIPHER_CTX_free(context) }
    let iv = Array(value[0..<16])
    let body = Array(value[16...])
    let plain = SensitiveBytes(capacity: body.count + 16)
    var ok = false
    plain.fill { output in
      guard let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
      let started = key.withUnsafeBytes { keyBytes in
        EVP_DecryptInit_ex(context, cipher.evp, nil, keyBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), iv) == 1
      }
      guard started else { return 0 }
      var written: Int32 = 0
      guard EVP_DecryptUpdate(context, out, &written, body, Int32(body.count)) == 1 else { return 0 }
      var final: Int32 = 0
      guard EVP_DecryptFinal_ex(context, out + Int(written), &final) == 1 else { return 0 }
      ok = true
      return Int(written + final)
    }
    return ok ? plain : nil
  }

  static func mac(_ data: [UInt8], key: SensitiveBytes, algorithm: MAC) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    key.withUnsafeBytes { keyBytes in
      _ = HMAC(algorithm.evp, keyBytes.baseAddress, Int32(keyBytes.count), data, data.count, &output, &length)
    }
    return Array(output.prefix(Int(length)))
  }

  static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    lhs.count == rhs.count && !lhs.isEmpty && CRYPTO_memcmp(lhs, rhs, lhs.count) == 0
  }

  /// PBKDF2 with HMAC-SHA1 (RFC 6030's default PRF) or another HMAC.
  static func pbkdf2(
    passphrase: SensitiveBytes, salt: [UInt8], iterations: Int, length: Int, prf: MAC
  ) -> SensitiveBytes? {
    let key = SensitiveBytes(capacity: length)
    var ok = false
    key.fill { output in
      passphrase.withUnsafeBytes { pass in
        ok = PKCS5_PBKDF2_HMAC(
          pass.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(pass.count), salt, Int32(salt.count),
          Int32(iterations), prf.evp, Int32(length), output.baseAddress?.assumingMemoryBound(to: UInt8.self)) == 1
      }
      return ok ? length : 0
    }
    return ok ? key : nil
  }
}

/// Base64 (RFC 4648 §4) as XML carries it: whitespace anywhere is skipped,
/// `=` padding only at the end.
enum Base64 {
  static func decode(_ text: String) -> [UInt8]? {
    var bits: UInt32 = 0
    var bitCount = 0
    var output: [UInt8] = []
    var padding = 0
    for byte in text.utf8 {
      if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
      if byte == UInt8(ascii: "=") {
        padding += 1
        continue
      }
      guard padding == 0, let value = value(byte) else { return nil }
      bits = bits << 6 | UInt32(value)
      bitCount += 6
      if bitCount >= 8 {
        bitCount -= 8
        output.append(UInt8(truncatingIfNeeded: bits >> UInt32(bitCount)))
      }
    }
    guard padding <= 2, bitCount < 6 else { return nil }
    return output
  }

  private static func value(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"): 62
    case UInt8(ascii: "/"): 63
    default: nil
    }
  }
}
