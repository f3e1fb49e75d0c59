import CCrypto

/// HMAC (RFC 2104) over OpenSSL's SHA-1, SHA-256 and SHA-512 functions (see
/// CCrypto's header for why the low-level ones). The key schedule (the
/// hash states after the inner and outer padded keys) is computed once per
/// key, so each further code costs two short hash runs; it is wiped when the
/// key is released.
final class HMACKey {
  private enum Schedule {
    case sha1(PaddedKeyStates<SHA_CTX>)
    case sha256(PaddedKeyStates<SHA256_CTX>)
    case sha512(PaddedKeyStates<SHA512_CTX>)
  }

  private let schedule: Schedule
  let algorithm: HashAlgorithm

  init(key: UnsafeRawBufferPointer, algorithm: HashAlgorithm) {
    self.algorithm = algorithm
    switch algorithm {
    case .sha1: schedule = .sha1(PaddedKeyStates(key: key, hash: .sha1))
    case .sha256: schedule = .sha256(PaddedKeyStates(key: key, hash: .sha256))
    case .sha512: schedule = .sha512(PaddedKeyStates(key: key, hash: .sha512))
    }
  }

  deinit {
    switch schedule {
    case .sha1(let states): states.wipe()
    case .sha256(let states): states.wipe()
    case .sha512(let states): states.wipe()
    }
  }

  /// Writes the HMAC of `message` into `output` (at least the digest length).
  func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
    switch schedule {
    case .sha1(let states): states.authenticate(message, into: output)
    case .sha256(let states): states.authenticate(message, into: output)
    case .sha512(let states): states.authenticate(message, into: output)
    }
  }
}

/// The hash states after absorbing `key ^ ipad` and `key ^ opad`.
private final class PaddedKeyStates<Context> {
  private let hash: HashFunction<Context>
  private var inner: Context
  private var outer: Context

  init(key: UnsafeRawBufferPointer, hash: HashFunction<Context>) {
    self.hash = hash
    inner = hash.empty()
    outer = hash.empty()
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * hash.blockSize + hash.digestLength) { scratch in
      let block = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<hash.blockSize])
      let pad = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[hash.blockSize..<(2 * hash.blockSize)])
      block.initializeMemory(as: UInt8.self, repeating: 0)
      if key.count > hash.blockSize {
        // RFC 2104: a key longer than a block is hashed first.
        var context = hash.empty()
        hash.start(&context)
        hash.update(&context, key)
        hash.finish(&context, into: block)
        wipeState(&context)
      } else if let base = key.baseAddress, key.count > 0, let target = block.baseAddress {
        target.copyMemory(from: base, byteCount: key.count)
      }
      for index in 0..<hash.blockSize { pad[index] = block[index] ^ 0x36 }
      hash.start(&inner)
      hash.update(&inner, UnsafeRawBufferPointer(pad))
      for index in 0..<hash.blockSize { pad[index] = block[index] ^ 0x5C }
      hash.start(&outer)
      hash.update(&outer, UnsafeRawBufferPointer(pad))
      ccrypto_cleanse(scratch.baseAddress, scratch.count)
    }
  }

  func wipe() {
    wipeState(&inner)
    wipeState(&outer)
  }

  func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
    var context = inner
    hash.update(&context, message)
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: hash.digestLength) { digest in
      let innerDigest = UnsafeMutableRawBufferPointer(digest)
      hash.finish(&context, into: innerDigest)
      context = outer
      hash.update(&context, UnsafeRawBufferPointer(innerDigest))
      hash.finish(&context, into: output)
      ccrypto_cleanse(digest.baseAddress, digest.count)
    }
    wipeState(&context)
  }
}

/// Overwrites a hash state, which holds key-derived bytes.
private func wipeState<Context>(_ context: inout Context) {
  withUnsafeMutableBytes(of: &context) { ccrypto_cleanse($0.baseAddress, $0.count) }
}

/// One of OpenSSL's low-level hash functions: its sizes and its three calls.
private struct HashFunction<Context> {
  let blockSize: Int
  let digestLength: Int
  let empty: () -> Context
  let startCall: (UnsafeMutablePointer<Context>?) -> Int32
  let updateCall: (UnsafeMutablePointer<Context>?, UnsafeRawPointer?, Int) -> Int32
  let finishCall: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Context>?) -> Int32

  func start(_ context: inout Context) { _ = startCall(&context) }

  func update(_ context: inout Context, _ data: UnsafeRawBufferPointer) {
    _ = updateCall(&context, data.baseAddress, data.count)
  }

  /// Writes the digest; an output shorter than the digest gets nothing.
  func finish(_ context: inout Context, into output: UnsafeMutableRawBufferPointer) {
    guard output.count >= digestLength, let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
      return
    }
    _ = finishCall(target, &context)
  }
}

extension HashFunction<SHA_CTX> {
  static var sha1: Self {
    HashFunction(
      blockSize: 64, digestLength: 20, empty: { SHA_CTX() }, startCall: SHA1_Init, updateCall: SHA1_Update,
      finishCall: SHA1_Final)
  }
}

extension HashFunction<SHA256_CTX> {
  static var sha256: Self {
    HashFunction(
      blockSize: 64, digestLength: 32, empty: { SHA256_CTX() }, startCall: SHA256_Init,
      updateCall: SHA256_Update, finishCall: SHA256_Final)
  }
}

extension HashFunction<SHA512_CTX> {
  static var sha512: Self {
    HashFunction(
      blockSize: 128, digestLength: 64, empty: { SHA512_CTX() }, startCall: SHA512_Init,
      updateCall: SHA512_Update, finishCall: SHA512_Final)
  }
}
