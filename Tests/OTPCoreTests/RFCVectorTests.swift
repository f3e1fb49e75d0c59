import Testing

@testable import OTPCore

/// Every test vector of RFC 4226 Appendix D and RFC 6238 Appendix B.
struct RFCVectorTests {
  /// RFC 4226 Appendix D: secret "12345678901234567890", counters 0...9, 6 digits.
  static let hotpVectors: [(counter: UInt64, code: String)] = [
    (0, "755224"), (1, "287082"), (2, "359152"), (3, "969429"), (4, "338314"),
    (5, "254676"), (6, "287922"), (7, "162583"), (8, "399871"), (9, "520489"),
  ]

  @Test(arguments: hotpVectors)
  func rfc4226AppendixD(counter: UInt64, code: String) {
    let otp = OneTimePassword(key: SensitiveBytes(Array("12345678901234567890".utf8)), algorithm: .sha1, digits: 6)
    #expect(otp.code(counter: counter).text == code)
  }

  /// RFC 6238 Appendix B: each algorithm with its own seed length (20, 32, 64
  /// bytes: the spec's reference code uses these, the table's note does not).
  static let seeds: [HashAlgorithm: String] = [
    .sha1: "12345678901234567890",
    .sha256: "12345678901234567890123456789012",
    .sha512: "1234567890123456789012345678901234567890123456789012345678901234",
  ]

  static let totpVectors: [(time: Int64, algorithm: HashAlgorithm, code: String)] = [
    (59, .sha1, "94287082"), (59, .sha256, "46119246"), (59, .sha512, "90693936"),
    (1_111_111_109, .sha1, "07081804"), (1_111_111_109, .sha256, "68084774"),
    (1_111_111_109, .sha512, "25091201"),
    (1_111_111_111, .sha1, "14050471"), (1_111_111_111, .sha256, "67062674"),
    (1_111_111_111, .sha512, "99943326"),
    (1_234_567_890, .sha1, "89005924"), (1_234_567_890, .sha256, "91819424"),
    (1_234_567_890, .sha512, "93441116"),
    (2_000_000_000, .sha1, "69279037"), (2_000_000_000, .sha256, "90698825"),
    (2_000_000_000, .sha512, "38618901"),
    (20_000_000_000, .sha1, "65353130"), (20_000_000_000, .sha256, "77737706"),
    (20_000_000_000, .sha512, "47863826"),
  ]

  @Test(arguments: totpVectors)
  func rfc6238AppendixB(time: Int64, algorithm: HashAlgorithm, code: String) throws {
    let seed = try #require(Self.seeds[algorithm])
    #expect(seed.utf8.count == algorithm.digestLength)
    let otp = OneTimePassword(key: SensitiveBytes(Array(seed.utf8)), algorithm: algorithm, digits: 8)
    let step = OneTimePassword.timeStep(at: time, period: 30)
    #expect(otp.code(counter: UInt64(step)).text == code)
  }

  @Test func rfc6238TimeStepsFromTheTable() {
    // The "Value of T (hex)" column of RFC 6238 Appendix B.
    #expect(OneTimePassword.timeStep(at: 59, period: 30) == 0x1)
    #expect(OneTimePassword.timeStep(at: 1_111_111_109, period: 30) == 0x23523EC)
    #expect(OneTimePassword.timeStep(at: 1_234_567_890, period: 30) == 0x273EF07)
    #expect(OneTimePassword.timeStep(at: 20_000_000_000, period: 30) == 0x27BC86AA)
  }
}

struct CodeMatchingTests {
  let otp = OneTimePassword(key: SensitiveBytes(Array("12345678901234567890".utf8)), algorithm: .sha1, digits: 6)

  @Test func findsTheCounterThatMatched() {
    #expect(otp.firstMatch(of: Array("969429".utf8), in: 0...9) == 3)
    #expect(otp.firstMatch(of: Array("969429".utf8), in: 4...9) == nil)
  }

  @Test func refusesAnswersOfTheWrongLength() {
    #expect(otp.firstMatch(of: Array("0969429".utf8), in: 0...9) == nil)
    #expect(otp.firstMatch(of: Array("96942".utf8), in: 0...9) == nil)
    #expect(otp.firstMatch(of: [], in: 0...9) == nil)
  }

  @Test func keepsLeadingZeros() {
    // Counter 1 of the RFC 6238 SHA1 seed at 8 digits is 07081804's neighbour;
    // any code below 10^(digits-1) must keep its zeros.
    let code = OneTimeCode(value: 7295, digits: 6)
    #expect(code.text == "007295")
    #expect(code.matches(Array("007295".utf8)))
    #expect(!code.matches(Array("7295".utf8)))
  }

  @Test func timeStepsBeforeTheEpochRoundDown() {
    #expect(OneTimePassword.timeStep(at: -1, period: 30) == -1)
    #expect(OneTimePassword.timeStep(at: -30, period: 30) == -1)
    #expect(OneTimePassword.timeStep(at: -31, period: 30) == -2)
    #expect(OneTimePassword.timeStep(at: 29, period: 30) == 0)
  }

  @Test(arguments: [1, 7, 30, 60, 300])
  func anyStepFromOneTo300Seconds(period: Int) {
    #expect(OneTimePassword.timeStep(at: Int64(period) * 1000 - 1, period: period) == 999)
    #expect(OneTimePassword.timeStep(at: Int64(period) * 1000, period: period) == 1000)
  }
}
