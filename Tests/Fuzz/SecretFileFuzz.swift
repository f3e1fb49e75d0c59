// libFuzzer target: the secret-file parser. Any input either fails with a
// SecretFileError or parses; a parsed file serialises to text that parses
// again to the same serialisation (the writer and reader agree), and so
// does the state after a verification.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecretFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
  guard let file = try? SecretFile(parsing: input) else { return 0 }
  let written = file.serialized()
  let reparsed = written.withUnsafeBytes { try? SecretFile(parsing: $0) }
  guard let reparsed else { fatalError("a serialised file does not parse") }
  let rewritten = reparsed.serialized()
  let same = written.withUnsafeBytes { a in rewritten.withUnsafeBytes { b in a.elementsEqual(b) } }
  if !same { fatalError("serialisation is not stable") }
  // The policy must cope with any parsed file, any answer and any time.
  var state = reparsed
  let answer = Array(input.prefix(8))
  let now = Int64(bitPattern: UInt64(size) &* 2_654_435_761) % 4_000_000_000
  _ = Verifier(token: reparsed).verify(answer: answer, at: now, remoteHost: Array(input.suffix(4)), state: &state)
  // Whatever the policy changed, the state written back is a file that parses.
  let updated = state.serialized().withUnsafeBytes { try? SecretFile(parsing: $0) }
  if updated == nil { fatalError("the state written back does not parse") }
  return 0
}
