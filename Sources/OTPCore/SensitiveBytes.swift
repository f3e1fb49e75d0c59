import CCrypto

/// Bytes that must not outlive their use: a secret key, a file that holds
/// one, a typed answer. One allocation that is never copied by the
/// collection machinery and is wiped with `OPENSSL_cleanse` when released.
public final class SensitiveBytes {
  private var storage: UnsafeMutableRawBufferPointer

  public init(copying bytes: UnsafeRawBufferPointer) {
    storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
    storage.initializeMemory(as: UInt8.self, repeating: 0)
    count = bytes.count
    if let source = bytes.baseAddress, bytes.count > 0 {
      storage.baseAddress?.copyMemory(from: source, byteCount: bytes.count)
    }
  }

  /// An empty buffer that can hold `capacity` bytes, for reading into.
  public init(capacity: Int) {
    storage = .allocate(byteCount: max(capacity, 1), alignment: 16)
    storage.initializeMemory(as: UInt8.self, repeating: 0)
    count = 0
  }

  public init(_ bytes: [UInt8]) {
    storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
    storage.initializeMemory(as: UInt8.self, repeating: 0)
    count = bytes.count
    for index in 0..<bytes.count { storage[index] = bytes[index] }
  }

  /// Takes the bytes of `array` and wipes the array's own storage.
  public convenience init(consuming array: inout [UInt8]) {
    self.init(array)
    SensitiveBytes.wipe(&array)
  }

  deinit {
    ccrypto_cleanse(storage.baseAddress, storage.count)
    storage.deallocate()
  }

  public private(set) var count: Int

  public var capacity: Int { storage.count }

  /// Lets `body` fill the whole capacity; it returns how many bytes it wrote.
  public func fill(_ body: (UnsafeMutableRawBufferPointer) -> Int) {
    count = min(max(body(storage), 0), storage.count)
  }

  public var isEmpty: Bool { count == 0 }

  /// Appends a byte. When the capacity is used up, the bytes move to a
  /// larger allocation and the old one is wiped: growing never leaves a
  /// copy behind, as growing an array would.
  public func append(_ byte: UInt8) {
    if count == storage.count { grow(to: 2 * storage.count) }
    storage[count] = byte
    count += 1
  }

  public func append<Bytes: Collection<UInt8>>(contentsOf bytes: Bytes) {
    if count + bytes.count > storage.count { grow(to: max(2 * storage.count, count + bytes.count)) }
    for byte in bytes {
      storage[count] = byte
      count += 1
    }
  }

  private func grow(to capacity: Int) {
    let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    larger.initializeMemory(as: UInt8.self, repeating: 0)
    if let source = storage.baseAddress, let target = larger.baseAddress {
      target.copyMemory(from: source, byteCount: count)
    }
    ccrypto_cleanse(storage.baseAddress, storage.count)
    storage.deallocate()
    storage = larger
  }

  public func withUnsafeBytes<Result, Failure: Error>(
    _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
  }

  /// A copy as an ordinary array, for code that must hand the bytes on
  /// (encoding the secret for a URI). The caller wipes it.
  public func copyBytes() -> [UInt8] {
    withUnsafeBytes { Array($0) }
  }

  /// Overwrites the array's storage in place, then empties it. Only a
  /// storage no other array shares is wiped in place (a shared one would be
  /// copied first): take the array out of wherever else it is held.
  public static func wipe(_ array: inout [UInt8]) {
    array.withUnsafeMutableBytes { ccrypto_cleanse($0.baseAddress, $0.count) }
    array.removeAll()
  }

  /// Constant-time equality of equal-length byte buffers.
  static func constantTimeEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return lhs.count == 0 }
    return CRYPTO_memcmp(left, right, lhs.count) == 0
  }
}
