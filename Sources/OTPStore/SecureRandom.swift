import CShims

/// Bytes from the kernel's CSPRNG (`getrandom`), never from `random()`.
public enum SecureRandom {
  public static func bytes(_ count: Int) throws(SystemError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      filled += try SystemError.retrying(.random) {
        bytes.withUnsafeMutableBytes { buffer -> Int in
          guard let base = buffer.baseAddress else { return 0 }
          return cshim_getrandom(base + filled, count - filled)
        }
      }
    }
    return bytes
  }

  /// A number uniform over `range`, by rejection sampling so that no value
  /// is likelier than another.
  public static func uniform(in range: ClosedRange<UInt32>) throws(SystemError) -> UInt32 {
    let span = UInt64(range.upperBound - range.lowerBound) + 1
    let limit = (UInt64(UInt32.max) + 1) / span * span
    while true {
      let bytes = try self.bytes(4)
      let value = UInt64(bytes[0]) | UInt64(bytes[1]) << 8 | UInt64(bytes[2]) << 16 | UInt64(bytes[3]) << 24
      if value < limit { return range.lowerBound + UInt32(value % span) }
    }
  }
}
