import OTPCore

// libFuzzer target: the two importers of files from outside, a pam_oath
// usersfile and an RFC 6030 PSKC container (through libxml2, set up as
// otpctl sets it up, with a pre-shared key and a passphrase at hand so that
// the decryption and MAC paths are reached too). Neither may trap; what
// they accept must be a token a secret file can hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImport(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = Array(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
  if let tokens = try? UsersFile.parse(input, now: 1_700_000_000) {
    for token in tokens { check(token.secretFile()) }
  }
  var secrets = PSKC.Secrets()
  secrets.preSharedKey = SensitiveBytes(Array(repeating: 0x12, count: 16))
  secrets.passphrase = SensitiveBytes(Array("qwerty".utf8))
  if let container = try? PSKC(input, secrets: secrets) {
    for key in container.keys {
      guard key.secret.count >= SecretFile.minimumSecretBytes, OneTimePassword.digitRange.contains(key.digits) else {
        fatalError("a key the importer should have refused")
      }
    }
  }
  return 0
}

private func check(_ file: SecretFile) {
  let read = file.serialized().withUnsafeBytes { try? SecretFile(parsing: $0) }
  guard let read, read.mode == file.mode else { fatalError("an imported token does not read back") }
}
