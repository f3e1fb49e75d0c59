import Testing

@testable import OTPCore

/// HMAC over OpenSSL's low-level SHA functions, against RFC 2202 (HMAC-SHA1)
/// and RFC 4231 (HMAC-SHA256/512), test cases 1 (short key) and 6 (a key
/// longer than the hash's block, which is hashed first).
struct HMACTests {
  static let largeKeyMessage = "Test Using Larger Than Block-Size Key - Hash Key First"

  static let vectors: [(HashAlgorithm, [UInt8], String, String)] = [
    (.sha1, [UInt8](repeating: 0x0B, count: 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
    (.sha256, [UInt8](repeating: 0x0B, count: 20), "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (.sha512, [UInt8](repeating: 0x0B, count: 20), "Hi There",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
    (.sha1, [UInt8](repeating: 0xAA, count: 80), largeKeyMessage, "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    (.sha256, [UInt8](repeating: 0xAA, count: 131), largeKeyMessage,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (.sha512, [UInt8](repeating: 0xAA, count: 131), largeKeyMessage,
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
  ]

  @Test(arguments: vectors.indices)
  func rfcVectors(index: Int) {
    let (algorithm, key, message, expected) = Self.vectors[index]
    let hmac = key.withUnsafeBytes { HMACKey(key: $0, algorithm: algorithm) }
    var output = [UInt8](repeating: 0, count: 64)
    // Twice: the key schedule must not be consumed by the first use.
    for _ in 0..<2 {
      Array(message.utf8).withUnsafeBytes { bytes in output.withUnsafeMutableBytes { hmac.authenticate(bytes, into: $0) } }
      let hex = output.prefix(algorithm.digestLength).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
      #expect(hex == expected)
    }
  }
}
