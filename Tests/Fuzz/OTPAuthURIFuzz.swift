// libFuzzer target: the otpauth:// URI parser. A parsed URI rebuilds to text
// that parses back to the same account, issuer, secret and parameters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTPAuthURI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
  guard let uri = try? OTPAuthURI(parsing: text) else { return 0 }
  guard let again = try? OTPAuthURI(parsing: uri.text) else { fatalError("a built URI does not parse") }
  if again.account != uri.account.drop(while: { $0 == " " }).description && again.account != uri.account {
    fatalError("account changed in a round trip")
  }
  if again.issuer != ((uri.issuer?.isEmpty ?? true) ? nil : uri.issuer) { fatalError("issuer changed") }
  if again.secret.copyBytes() != uri.secret.copyBytes() { fatalError("secret changed") }
  if again.kind != uri.kind || again.digits != uri.digits || again.algorithm != uri.algorithm {
    fatalError("parameters changed")
  }
  return 0
}
