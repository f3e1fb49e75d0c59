@testable import OTPCore

/// Parses a file given as text, as the store would after reading it.
func parse(_ text: String) throws(SecretFileError) -> SecretFile {
  let bytes = SensitiveBytes(Array(text.utf8))
  return try bytes.withUnsafeBytes { raw throws(SecretFileError) in try SecretFile(parsing: raw) }
}

func text(of file: SecretFile) -> String {
  file.serialized().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
}

/// The secret of RFC 6238's SHA1 vectors, "12345678901234567890", in Base32.
let rfcSecretBase32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func code(_ file: SecretFile, step: Int64) -> [UInt8] {
  file.generator.code(counter: UInt64(step)).bytes
}
