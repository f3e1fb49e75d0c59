import OTPCore

/// RFC 6030 Portable Symmetric Key Containers, as hardware-token vendors
/// ship their seeds: a `KeyContainer` of `KeyPackage`s, each a device
/// (`DeviceInfo/SerialNo`) with a `Key` (HOTP or TOTP, its secret, counter
/// or time step, digits). A secret is a `PlainValue` (Base64), or an
/// `EncryptedValue` (AES-CBC, IV first) with a `ValueMAC` (HMAC over
/// IV || ciphertext with the container's MAC key, itself encrypted). The
/// encryption key is pre-shared (`ds:KeyName`) or derived from a passphrase
/// (`xenc11:DerivedKey`, PBKDF2).
///
/// Anything that does not validate is refused with the reason: an unknown
/// algorithm, a missing field, an encrypted value without a MAC, a wrong
/// MAC. No message ever holds a secret.
struct PSKC {
  /// One key of the container, decrypted.
  struct Key {
    /// `DeviceInfo/SerialNo`, or the `Key`'s `Id` where there is none.
    let serial: String
    let isTOTP: Bool
    let secret: SensitiveBytes
    let algorithm: HashAlgorithm
    let digits: Int
    let counter: UInt64
    let step: Int
  }

  struct Failure: Error {
    let message: String
    init(_ message: String) { self.message = message }
  }

  /// What unlocks encrypted values: the bytes of `--key-file`, or the
  /// passphrase of `--passphrase-file`.
  struct Secrets {
    var preSharedKey: SensitiveBytes?
    var passphrase: SensitiveBytes?
  }

  static let namespace = "urn:ietf:params:xml:ns:keyprov:pskc"

  /// Text from the file as a message may quote it: printable ASCII only
  /// (no terminal escapes), and not too long.
  static func shown(_ text: String) -> String { ASCII.printable(Array(text.utf8), limit: 80) }

  let keys: [Key]

  init(_ bytes: [UInt8], secrets: Secrets) throws(Failure) {
    guard bytes.count <= XMLTree.maximumSize else {
      throw Failure("the file is larger than \(XMLTree.maximumSize >> 20) MiB")
    }
    let root: XMLElement
    do { root = try XMLTree.parse(bytes) } catch {
      switch error {
      case .doctype:
        throw Failure("the file has a DOCTYPE; PSKC needs none, and one can declare entities, so it is refused")
      case .malformed(let line, let message):
        throw Failure("not well-formed XML" + (line > 0 ? " (line \(line))" : "") + ": \(Self.shown(message))")
      case .tooDeep: throw Failure("elements nested too deeply for a key container")
      }
    }
    guard root.name == "KeyContainer", root.namespace == Self.namespace else {
      throw Failure("not a PSKC key container (the root element is not {\(Self.namespace)}KeyContainer)")
    }
    guard root.attributes["Version"] == "1.0" else {
      throw Failure("unsupported KeyContainer Version \"\(Self.shown(root.attributes["Version"] ?? ""))\" (1.0 is RFC 6030)")
    }
    let encryptionKey = try Self.encryptionKey(root, secrets)
    let macKey = try Self.macKey(root, encryptionKey)
    var keys: [Key] = []
    for package in root.all("KeyPackage") {
      keys.append(try Self.key(package, encryptionKey: encryptionKey, mac: macKey))
    }
    guard !keys.isEmpty else { throw Failure("the container holds no KeyPackage") }
    self.keys = keys
  }

  // MARK: Keys that protect the others

  private static func encryptionKey(_ root: XMLElement, _ secrets: Secrets) throws(Failure) -> SensitiveBytes? {
    guard let element = root.child("EncryptionKey") else { return nil }
    if let derived = element.child("DerivedKey") {
      guard let passphrase = secrets.passphrase else {
        throw Failure("the keys are encrypted with a key derived from a passphrase: give --passphrase-file")
      }
      return try derive(derived, passphrase: passphrase)
    }
    if element.child("KeyName") != nil {
      guard let key = secrets.preSharedKey else {
        throw Failure("the keys are encrypted with a pre-shared key (KeyName): give --key-file")
      }
      return key
    }
    if element.child("X509Data") != nil {
      throw Failure("keys encrypted to a certificate (X509Data) are not supported; ask the vendor for a pre-shared key or passphrase")
    }
    throw Failure("EncryptionKey names no key this tool knows (KeyName or DerivedKey)")
  }

  private static func derive(_ derived: XMLElement, passphrase: SensitiveBytes) throws(Failure) -> SensitiveBytes {
    guard let method = derived.child("KeyDerivationMethod") else {
      throw Failure("DerivedKey has no KeyDerivationMethod")
    }
    guard method.attributes["Algorithm"] == "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2" else {
      throw Failure("unsupported key derivation \"\(shown(method.attributes["Algorithm"] ?? ""))\" (PBKDF2 only)")
    }
    guard let parameters = method.child("PBKDF2-params") else { throw Failure("PBKDF2 without PBKDF2-params") }
    guard let saltText = parameters.descendant(["Salt", "Specified"])?.text, let salt = Base64.decode(saltText),
      !salt.isEmpty
    else { throw Failure("PBKDF2-params has no Salt/Specified in Base64") }
    guard let iterations = parameters.child("IterationCount").flatMap({ Int($0.trimmedText) }),
      (1...1_000_000).contains(iterations)
    else { throw Failure("PBKDF2-params has no IterationCount between 1 and 1000000") }
    guard let length = parameters.child("KeyLength").flatMap({ Int($0.trimmedText) }), [16, 24, 32].contains(length)
    else { throw Failure("PBKDF2-params has no KeyLength of 16, 24 or 32") }
    var prf = PSKCCrypto.MAC.hmacSHA1
    if let algorithm = parameters.child("PRF")?.attributes["Algorithm"] {
      guard let named = PSKCCrypto.MAC(uri: prfURI(algorithm)) else {
        throw Failure("unsupported PBKDF2 PRF \"\(shown(algorithm))\"")
      }
      prf = named
    }
    guard let key = PSKCCrypto.pbkdf2(passphrase: passphrase, salt: salt, iterations: iterations, length: length, prf: prf)
    else { throw Failure("PBKDF2 failed in OpenSSL") }
    return key
  }

  /// RFC 8018 names its PRFs by OID URIs as well as XML-DSig's.
  private static func prfURI(_ uri: String) -> String {
    switch uri {
    case "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#hmac-sha1": "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
    default: uri
    }
  }

  private struct MACKey {
    let key: SensitiveBytes
    let algorithm: PSKCCrypto.MAC
  }

  private static func macKey(_ root: XMLElement, _ encryptionKey: SensitiveBytes?) throws(Failure) -> MACKey? {
    guard let method = root.child("MACMethod") else { return nil }
    guard let algorithm = PSKCCrypto.MAC(uri: method.attributes["Algorithm"] ?? "") else {
      throw Failure("unsupported MACMethod \"\(shown(method.attributes["Algorithm"] ?? ""))\" (HMAC-SHA1, -SHA256 or -SHA512)")
    }
    guard let element = method.child("MACKey") else {
      throw Failure("MACMethod has no MACKey (a MACKeyReference is not supported)")
    }
    guard let encryptionKey else { throw Failure("the MACKey is encrypted but the container names no EncryptionKey") }
    let key = try decrypt(element, with: encryptionKey, what: "the MACKey")
    return MACKey(key: key, algorithm: algorithm)
  }

  // MARK: One key package

  private static func key(_ package: XMLElement, encryptionKey: SensitiveBytes?, mac: MACKey?) throws(Failure) -> Key {
    guard let key = package.child("Key") else { throw Failure("a KeyPackage has no Key") }
    let serial = shown(package.descendant(["DeviceInfo", "SerialNo"])?.trimmedText ?? key.attributes["Id"] ?? "")
    guard !serial.isEmpty else { throw Failure("a KeyPackage has neither a SerialNo nor a Key Id") }
    func fail(_ message: String) -> Failure { Failure("serial \(serial): \(message)") }

    let algorithmURI = key.attributes["Algorithm"] ?? ""
    let isTOTP: Bool
    switch algorithmURI {
    case "urn:ietf:params:xml:ns:keyprov:pskc:hotp": isTOTP = false
    case "urn:ietf:params:xml:ns:keyprov:pskc:totp", "urn:ietf:params:xml:ns:keyprov:pskc#totp": isTOTP = true
    default: throw fail("unsupported key algorithm \"\(shown(algorithmURI))\" (HOTP or TOTP)")
    }

    var digits = 6
    if let format = key.descendant(["AlgorithmParameters", "ResponseFormat"]) {
      guard format.attributes["Encoding"] ?? "DECIMAL" == "DECIMAL" else {
        throw fail("ResponseFormat Encoding \"\(shown(format.attributes["Encoding"] ?? ""))\" is not DECIMAL")
      }
      guard let length = format.attributes["Length"].flatMap({ Int($0) }), OneTimePassword.digitRange.contains(length)
      else { throw fail("ResponseFormat Length must be 6, 7 or 8") }
      digits = length
    }
    var hash = HashAlgorithm.sha1
    if let suite = key.descendant(["AlgorithmParameters", "Suite"])?.trimmedText, !suite.isEmpty {
      switch suite.uppercased() {
      case "HMAC-SHA1", "SHA1": hash = .sha1
      case "HMAC-SHA256", "SHA256": hash = .sha256
      case "HMAC-SHA512", "SHA512": hash = .sha512
      default: throw fail("unsupported Suite \"\(shown(suite))\"")
      }
    }

    guard let data = key.child("Data"), let secretElement = data.child("Secret") else { throw fail("no Data/Secret") }
    let secret = try value(secretElement, encryptionKey: encryptionKey, mac: mac, what: "the secret", fail)
    guard secret.count >= SecretFile.minimumSecretBytes, secret.count <= 128 else {
      throw fail("the secret is \(secret.count) bytes (\(SecretFile.minimumSecretBytes) to 128)")
    }
    let counter = try integer(data.child("Counter"), default: 0, name: "Counter", fail)
    guard counter < SecretFile.maximumHOTPCounter else { throw fail("the Counter is larger than a secret file holds") }
    let step = try integer(data.child("TimeInterval"), default: 30, name: "TimeInterval", fail)
    if isTOTP {
      guard OneTimePassword.periodRange.contains(Int(step)) else { throw fail("TimeInterval must be 1 to 300 seconds") }
      if let start = data.child("Time"), try integer(start, default: 0, name: "Time", fail) != 0 {
        throw fail("a TOTP start Time other than 0 is not supported")
      }
    }
    return Key(
      serial: serial, isTOTP: isTOTP, secret: secret, algorithm: hash, digits: digits, counter: counter, step: Int(step))
  }

  /// A `PlainValue` or a MAC-checked `EncryptedValue`.
  private static func value(
    _ element: XMLElement, encryptionKey: SensitiveBytes?, mac: MACKey?, what: String, _ fail: (String) -> Failure
  ) throws(Failure) -> SensitiveBytes {
    if let plain = element.child("PlainValue") {
      guard var bytes = Base64.decode(plain.text) else { throw fail("\(what) is not Base64") }
      return SensitiveBytes(consuming: &bytes)
    }
    guard let encrypted = element.child("EncryptedValue") else {
      throw fail("\(what) has neither a PlainValue nor an EncryptedValue")
    }
    guard let encryptionKey else { throw fail("\(what) is encrypted but the container names no EncryptionKey") }
    guard let mac else {
      throw fail("\(what) is encrypted without a MAC (no MACMethod): refused, since its integrity cannot be checked")
    }
    guard let macText = element.child("ValueMAC")?.text, let expected = Base64.decode(macText) else {
      throw fail("\(what) is encrypted but has no ValueMAC")
    }
    let cipherValue = try cipherBytes(encrypted, what: what, fail)
    guard PSKCCrypto.equal(PSKCCrypto.mac(cipherValue.bytes, key: mac.key, algorithm: mac.algorithm), expected) else {
      throw fail("the MAC of \(what) is wrong: the file was changed, or the key or passphrase is wrong")
    }
    guard let plain = PSKCCrypto.decrypt(cipherValue.bytes, cipher: cipherValue.cipher, key: encryptionKey) else {
      throw fail("\(what) does not decrypt (\(cipherValue.cipher.name)): wrong key")
    }
    return plain
  }

  private static func decrypt(_ element: XMLElement, with key: SensitiveBytes, what: String) throws(Failure) -> SensitiveBytes {
    let fail = { (message: String) in Failure(message) }
    let cipherValue = try cipherBytes(element, what: what, fail)
    guard key.count == cipherValue.cipher.keyLength else {
      throw Failure("the key is \(key.count) bytes but \(cipherValue.cipher.name) needs \(cipherValue.cipher.keyLength)")
    }
    guard let plain = PSKCCrypto.decrypt(cipherValue.bytes, cipher: cipherValue.cipher, key: key) else {
      throw Failure("\(what) does not decrypt (\(cipherValue.cipher.name)): wrong key or passphrase")
    }
    return plain
  }

  private static func cipherBytes(
    _ element: XMLElement, what: String, _ fail: (String) -> Failure
  ) throws(Failure) -> (cipher: PSKCCrypto.Cipher, bytes: [UInt8]) {
    let uri = element.child("EncryptionMethod")?.attributes["Algorithm"] ?? ""
    guard let cipher = PSKCCrypto.Cipher(uri: uri) else {
      throw fail("\(what): unsupported EncryptionMethod \"\(shown(uri))\" (AES-128/192/256-CBC)")
    }
    guard let text = element.descendant(["CipherData", "CipherValue"])?.text, let bytes = Base64.decode(text) else {
      throw fail("\(what) has no CipherData/CipherValue in Base64")
    }
    guard bytes.count >= 32, bytes.count % 16 == 0 else {
      throw fail("\(what): the CipherValue is not an IV and whole AES blocks")
    }
    return (cipher, bytes)
  }

  /// A plain integer field (`Counter`, `TimeInterval`); encrypted ones are
  /// refused.
  private static func integer(
    _ element: XMLElement?, default fallback: UInt64, name: String, _ fail: (String) -> Failure
  ) throws(Failure) -> UInt64 {
    guard let element else { return fallback }
    guard let plain = element.child("PlainValue") else {
      throw fail("an encrypted \(name) is not supported")
    }
    guard let value = Decimal.parse(Array(plain.trimmedText.utf8), maxDigits: 19) else {
      throw fail("\(name) is not a non-negative integer")
    }
    return value
  }
}
