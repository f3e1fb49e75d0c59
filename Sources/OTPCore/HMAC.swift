import CCrypto

/// HMAC (RFC 2104) over OpenSSL's SHA-1, SHA-256 and SHA-512 functions (see
/// CCrypto's header for why the low-level ones). The key schedule (the
/// hash states after the inner and outer padded keys) is computed once per
/// key, so each further code costs two short hash runs; it is wiped when the
/// key is released.
final class HMACKey {
  private enum Schedule {
    case sha1(PaddedKeyStates<SHA1Function>)
    case sha256(PaddedKeyStates<SHA256Function>)
    case sha512(PaddedKeyStates<SHA512Function>)
  }

  private let schedule: Schedule
  let algorithm: HashAlgorithm

  init(key: UnsafeRawBufferPointer, algorithm: HashAlgorithm) {
    self.algorithm = algorithm
    switch algorithm {
    case .sha1: schedule = .sha1(PaddedKeyStates(key: key))
    case .sha256: schedule = .sha256(PaddedKeyStates(key: key))
    case .sha512: schedule = .sha512(PaddedKeyStates(key: key))
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
private final class PaddedKeyStates<Hash: HashFunction> {
  private var inner = Hash.emptyContext
  private var outer = Hash.emptyContext

  init(key: UnsafeRawBufferPointer) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * Hash.blockSize + Hash.digestLength) { scratch in
      let block = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<Hash.blockSize])
      let pad = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[Hash.blockSize..<(2 * Hash.blockSize)])
      block.initializeMemory(as: UInt8.self, repeating: 0)
      if key.count > Hash.blockSize {
        // RFC 2104: a key longer than a block is hashed first.
        var context = Hash.emptyContext
        Hash.start(&context)
        Hash.update(&context, key)
        Hash.finish(&context, into: block)
        wipeState(&context)
      } else if let base = key.baseAddress, key.count > 0, let target = block.baseAddress {
        target.copyMemory(from: base, byteCount: key.count)
      }
      for index in 0..<Hash.blockSize { pad[index] = block[index] ^ 0x36 }
      Hash.start(&inner)
      Hash.update(&inner, UnsafeRawBufferPointer(pad))
      for index in 0..<Hash.blockSize { pad[index] = block[index] ^ 0x5C }
      Hash.start(&outer)
      Hash.update(&outer, UnsafeRawBufferPointer(pad))
      ccrypto_cleanse(scratch.baseAddress, scratch.count)
    }
  }

  func wipe() {
    wipeState(&inner)
    wipeState(&outer)
  }

  func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
    var context = inner
    Hash.update(&context, message)
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Hash.digestLength) { digest in
      let innerDigest = UnsafeMutableRawBufferPointer(digest)
      Hash.finish(&context, into: innerDigest)
      context = outer
      Hash.update(&context, UnsafeRawBufferPointer(innerDigest))
      Hash.finish(&context, into: output)
      ccrypto_cleanse(digest.baseAddress, digest.count)
    }
    wipeState(&context)
  }
}

/// Overwrites a hash state, which holds key-derived bytes.
private func wipeState<Context>(_ context: inout Context) {
  withUnsafeMutableBytes(of: &context) { ccrypto_cleanse($0.baseAddress, $0.count) }
}

/// One of OpenSSL's low-level hash functions.
private protocol HashFunction {
  associatedtype Context
  static var emptyContext: Context { get }
  static var blockSize: Int { get }
  static var digestLength: Int { get }
  static func start(_ context: inout Context)
  static func update(_ context: inout Context, _ data: UnsafeRawBufferPointer)
  static func finish(_ context: inout Context, into output: UnsafeMutableRawBufferPointer)
}

extension HashFunction {
  fileprivate static func bytes(_ output: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8>? {
    output.count >= digestLength ? output.baseAddress?.assumingMemoryBound(to: UInt8.self) : nil
  }
}

private enum SHA1Function: HashFunction {
  static var emptyContext: SHA_CTX { SHA_CTX() }
  static let blockSize = 64
  static let digestLength = 20
  static func start(_ context: inout SHA_CTX) { SHA1_Init(&context) }
  static func update(_ context: inout SHA_CTX, _ data: UnsafeRawBufferPointer) {
    SHA1_Update(&context, data.baseAddress, data.count)
  }
  static func finish(_ context: inout SHA_CTX, into output: UnsafeMutableRawBufferPointer) {
    if let target = bytes(output) { SHA1_Final(target, &context) }
  }
}

private enum SHA256Function: HashFunction {
  static var emptyContext: SHA256_CTX { SHA256_CTX() }
  static let blockSize = 64
  static let digestLength = 32
  static func start(_ context: inout SHA256_CTX) { SHA256_Init(&context) }
  static func update(_ context: inout SHA256_CTX, _ data: UnsafeRawBufferPointer) {
    SHA256_Update(&context, data.baseAddress, data.count)
  }
  static func finish(_ context: inout SHA256_CTX, into output: UnsafeMutableRawBufferPointer) {
    if let target = bytes(output) { SHA256_Final(target, &context) }
  }
}

private enum SHA512Function: HashFunction {
  static var emptyContext: SHA512_CTX { SHA512_CTX() }
  static let blockSize = 128
  static let digestLength = 64
  static func start(_ context: inout SHA512_CTX) { SHA512_Init(&context) }
  static func update(_ context: inout SHA512_CTX, _ data: UnsafeRawBufferPointer) {
    SHA512_Update(&context, data.baseAddress, data.count)
  }
  static func finish(_ context: inout SHA512_CTX, into output: UnsafeMutableRawBufferPointer) {
    if let target = bytes(output) { SHA512_Final(target, &context) }
  }
}
