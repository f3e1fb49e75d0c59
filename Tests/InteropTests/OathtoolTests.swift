import OTPCore
import Testing

/// OTPCore's codes against oathtool (OATH Toolkit, liboath: an independent C
/// implementation of RFC 4226 and RFC 6238) for random secrets, times and
/// counters. oathtool's `-w N` prints the codes of N + 1 consecutive
/// counters, so one call checks a run of steps and the suite stays fast.
struct OathtoolTests {
  static let oathtoolPath = "/usr/bin/oathtool"
  /// Extra codes per oathtool call (`-w`).
  static let window = 15
  /// Fixed steps from the product's range plus one random step per case.
  static let fixedSteps = [1, 30, 60, 300]

  /// oathtool's name for the TOTP hash (`--totp=MODE`).
  static func oathtoolMode(_ algorithm: HashAlgorithm) -> String {
    switch algorithm {
    case .sha1: "sha1"
    case .sha256: "sha256"
    case .sha512: "sha512"
    }
  }

  /// Times worth checking besides random ones: the epoch, around 2^31
  /// (the 32-bit time_t end in 2038), and a time past 2100.
  static let edgeTimes: [Int64] = [0, 59, 2_147_483_647, 2_147_483_648, 4_102_444_800, 20_000_000_000]

  static func randomSecret(_ algorithm: HashAlgorithm, using generator: inout SeededGenerator) -> [UInt8] {
    // Both the recommended length (the digest's) and any other length from
    // RFC 4226's minimum (10 bytes) up to a SHA-512 block: HMAC hashes keys
    // longer than the block, and Base32 ends unpadded on any length.
    let count =
      Bool.random(using: &generator) ? algorithm.digestLength : Int.random(in: 10...128, using: &generator)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
  }

  @Test(arguments: HashAlgorithm.allCases, [6, 7, 8])
  func totpMatchesOathtool(algorithm: HashAlgorithm, digits: Int) throws {
    let oathtool = try ExternalTool(Self.oathtoolPath, package: "oathtool")
    var generator = SeededGenerator.forCase("totp \(algorithm.name) \(digits)")
    let steps = Self.fixedSteps + [Int.random(in: 1...300, using: &generator)]
    for step in steps {
      let times = [Int64.random(in: 0...4_102_444_800, using: &generator), Self.edgeTimes.randomElement(using: &generator)!]
      for time in times {
        let secret = Self.randomSecret(algorithm, using: &generator)
        let base32 = Base32.encodeString(secret)
        let expected = try oathtool.lines([
          "--totp=\(Self.oathtoolMode(algorithm))", "--digits=\(digits)", "--time-step-size=\(step)",
          "-N", "@\(time)", "-w", "\(Self.window)", "-b", base32,
        ])
        let otp = OneTimePassword(key: SensitiveBytes(secret), algorithm: algorithm, digits: digits)
        let first = OneTimePassword.timeStep(at: time, period: step)
        let actual = (0...Int64(Self.window)).map { otp.code(counter: UInt64(first + $0)).text }
        #expect(
          actual == expected,
          "seed \(SeededGenerator.runSeed): \(algorithm.name) digits \(digits) step \(step) time \(time) secret \(base32)")
      }
    }
  }

  /// oathtool's HOTP mode is HMAC-SHA1 only (RFC 4226); the other hashes
  /// are covered through TOTP with a 1-second step, where counter = time.
  @Test(arguments: [6, 7, 8])
  func hotpMatchesOathtool(digits: Int) throws {
    let oathtool = try ExternalTool(Self.oathtoolPath, package: "oathtool")
    var generator = SeededGenerator.forCase("hotp \(digits)")
    let counters: [UInt64] = [
      0, 1, UInt64.random(in: 0...1_000_000, using: &generator), UInt64.random(in: 0...UInt64(UInt32.max), using: &generator),
      UInt64.random(in: 0...(UInt64.max - 100), using: &generator), UInt64.max - UInt64(Self.window),
    ]
    for counter in counters {
      let secret = Self.randomSecret(.sha1, using: &generator)
      let base32 = Base32.encodeString(secret)
      let expected = try oathtool.lines([
        "--hotp", "-c", "\(counter)", "--digits=\(digits)", "-w", "\(Self.window)", "-b", base32,
      ])
      let otp = OneTimePassword(key: SensitiveBytes(secret), algorithm: .sha1, digits: digits)
      let actual = (0...UInt64(Self.window)).map { otp.code(counter: counter + $0).text }
      #expect(actual == expected, "seed \(SeededGenerator.runSeed): digits \(digits) counter \(counter) secret \(base32)")
    }
  }

  /// RFC 6238 Appendix B's time step computation against oathtool's: the
  /// counter oathtool reports for a time (`-v`) is OTPCore's time step.
  @Test func timeStepsMatchOathtool() throws {
    let oathtool = try ExternalTool(Self.oathtoolPath, package: "oathtool")
    var generator = SeededGenerator.forCase("steps")
    for _ in 0..<8 {
      let step = Int.random(in: 1...300, using: &generator)
      let time = Int64.random(in: 0...20_000_000_000, using: &generator)
      let lines = try oathtool.lines([
        "--totp", "--time-step-size=\(step)", "-N", "@\(time)", "-v", "-b", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      ])
      // "Counter: 0x8269C80 (136748160)"
      let counterLine = try #require(lines.first { $0.hasPrefix("Counter:") })
      let decimal = counterLine.split(separator: "(").last?.dropLast()
      #expect(decimal.flatMap { Int64($0) } == OneTimePassword.timeStep(at: time, period: step), "step \(step) time \(time)")
    }
  }
}
