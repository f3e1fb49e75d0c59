/// The HMAC hash behind a one-time password (RFC 4226 uses SHA-1; RFC 6238
/// adds SHA-256 and SHA-512).
public enum HashAlgorithm: Sendable, CaseIterable {
  case sha1, sha256, sha512

  /// The name used in secret files and otpauth URIs.
  public var name: String {
    switch self {
    case .sha1: "SHA1"
    case .sha256: "SHA256"
    case .sha512: "SHA512"
    }
  }

  /// Bytes of HMAC output, which is also the recommended secret length.
  public var digestLength: Int {
    switch self {
    case .sha1: 20
    case .sha256: 32
    case .sha512: 64
    }
  }

  /// Parses a name in any letter case (`sha256`, `SHA256`).
  public init?<Bytes: Collection<UInt8>>(name: Bytes) {
    let upper = ASCII.uppercased(name)
    for algorithm in HashAlgorithm.allCases where Array(algorithm.name.utf8) == upper {
      self = algorithm
      return
    }
    return nil
  }
}

