// libFuzzer target: Base32. Decoding never traps; what decodes re-encodes
// to text that decodes to the same bytes; any bytes encode and decode back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBase32(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = Array(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
  if let decoded = try? Base32.decode(input) {
    guard (try? Base32.decode(Base32.encode(decoded))) == decoded else { fatalError("decode/encode mismatch") }
  }
  guard (try? Base32.decode(Base32.encode(input))) == input else { fatalError("encode/decode mismatch") }
  return 0
}
