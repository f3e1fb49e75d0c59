import Testing

@testable import OTPCore

struct SecretFileParsingTests {
  @Test func readsEveryOptionLine() throws {
    let file = try parse(
      """
      \(rfcSecretBase32)
      " RATE_LIMIT 3 30 1700000000 1700000005
      " WINDOW_SIZE 5
      " STEP_SIZE 60
      " DISALLOW_REUSE 56666666 56666667
      " TOTP_AUTH
      " TIME_SKEW -2
      " RESETTING_TIME_SKEW 56666667+10 56666668-3
      " LAST0 10.0.0.1 1700000000
      " DIGITS 8
      " ALGORITHM sha256
      12345678
      87654321

      """)
    #expect(file.secret.copyBytes() == Array("12345678901234567890".utf8))
    #expect(file.mode == .totp)
    #expect(file.rateLimit == RateLimit(attempts: 3, interval: 30, times: [1_700_000_000, 1_700_000_005]))
    #expect(file.windowSize == 5)
    #expect(file.stepSize == 60)
    #expect(file.usedSteps == [56_666_666, 56_666_667])
    #expect(file.timeSkew == -2)
    #expect(file.skewObservations == [SkewObservation(step: 56_666_667, skew: 10), SkewObservation(step: 56_666_668, skew: -3)])
    #expect(file.lastLogins == [LastLogin(slot: 0, host: Array("10.0.0.1".utf8), time: 1_700_000_000)])
    #expect(file.digits == 8)
    #expect(file.algorithm == .sha256)
    #expect(file.scratchCodes == [12_345_678, 87_654_321])
  }

  @Test func appliesGADefaultsWhenOptionsAreAbsent() throws {
    let file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    #expect(file.effectiveWindowSize == 3)
    #expect(file.effectiveStepSize == 30)
    #expect(file.effectiveDigits == 6)
    #expect(file.effectiveAlgorithm == .sha1)
    #expect(!file.disallowsReuse)
    #expect(file.rateLimit == nil)
  }

  @Test func readsHOTPAndScratchOnlyFiles() throws {
    #expect(try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 7\n").mode == .hotp(nextCounter: 7))
    #expect(try parse("\(rfcSecretBase32)\n12345678\n").mode == .scratchCodesOnly)
  }

  @Test func toleratesHowSecretsAreCopied() throws {
    let lower = try parse("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq====\r\n\" TOTP_AUTH\r\n\r\n12345678")
    #expect(lower.secret.copyBytes() == Array("12345678901234567890".utf8))
    #expect(lower.scratchCodes == [12_345_678])
  }

  @Test func emptyValueOfResettingTimeSkewAsGAWritesIt() throws {
    let file = try parse("\(rfcSecretBase32)\n\" RESETTING_TIME_SKEW \n\" TOTP_AUTH\n")
    #expect(file.skewObservations == [])
  }

  /// Each malformed file, with the line and reason the error must name.
  static let malformed: [(text: String, line: Int, reason: SecretFileError.Reason)] = [
    ("", 0, .empty),
    ("\(rfcSecretBase32)\0\n", 1, .containsNUL),
    ("\(rfcSecretBase32)\n\" TOTP_AUTH\n1234\05678\n", 3, .containsNUL),
    ("GEZDGNBV1Y3TQOJQ\n", 1, .invalidSecret(.invalidCharacter(offset: 8, byte: UInt8(ascii: "1")))),
    ("GEZDGNBVGY3TQO\n", 1, .invalidSecret(.invalidLength(symbols: 14))),
    // 13 symbols are 8 bytes: valid Base32, but 64 bits is under RFC 4226's 80.
    ("GEZDGNBVGY3TQ\n", 1, .secretTooShort(bits: 64)),
    ("\(rfcSecretBase32)\n\" WINDOWSIZE 5\n", 2, .unknownOption(Array("WINDOWSIZE".utf8))),
    ("\(rfcSecretBase32)\n\"WINDOW_SIZE 5\n", 2, .unknownOption(Array("\"WINDOW_SIZE 5".utf8))),
    ("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" TOTP_AUTH\n", 3, .duplicateOption(.totpAuth)),
    ("\(rfcSecretBase32)\n\" WINDOW_SIZE 0\n", 2, .invalidValue(.windowSize)),
    ("\(rfcSecretBase32)\n\" WINDOW_SIZE 101\n", 2, .invalidValue(.windowSize)),
    ("\(rfcSecretBase32)\n\" WINDOW_SIZE 5 junk\n", 2, .invalidValue(.windowSize)),
    ("\(rfcSecretBase32)\n\" STEP_SIZE 301\n", 2, .invalidValue(.stepSize)),
    ("\(rfcSecretBase32)\n\" RATE_LIMIT 3\n", 2, .invalidValue(.rateLimit)),
    ("\(rfcSecretBase32)\n\" RATE_LIMIT 0 30\n", 2, .invalidValue(.rateLimit)),
    ("\(rfcSecretBase32)\n\" RATE_LIMIT 3 3601\n", 2, .invalidValue(.rateLimit)),
    ("\(rfcSecretBase32)\n\" RATE_LIMIT 3 30 x\n", 2, .invalidValue(.rateLimit)),
    ("\(rfcSecretBase32)\n\" DISALLOW_REUSE 1 -2\n", 2, .invalidValue(.disallowReuse)),
    ("\(rfcSecretBase32)\n\" TOTP_AUTH yes\n", 2, .invalidValue(.totpAuth)),
    ("\(rfcSecretBase32)\n\" HOTP_COUNTER -1\n", 2, .invalidValue(.hotpCounter)),
    ("\(rfcSecretBase32)\n\" HOTP_COUNTER 99999999999999999999\n", 2, .invalidValue(.hotpCounter)),
    ("\(rfcSecretBase32)\n\" TIME_SKEW 1000001\n", 2, .invalidValue(.timeSkew)),
    ("\(rfcSecretBase32)\n\" RESETTING_TIME_SKEW 5*3\n", 2, .invalidValue(.resettingTimeSkew)),
    ("\(rfcSecretBase32)\n\" LAST0 bad/host 17\n", 2, .invalidValue(.last(0))),
    ("\(rfcSecretBase32)\n\" DIGITS 9\n", 2, .invalidValue(.digits)),
    ("\(rfcSecretBase32)\n\" ALGORITHM MD5\n", 2, .invalidValue(.algorithm)),
    ("\(rfcSecretBase32)\n1234567\n", 2, .invalidScratchCode),
    ("\(rfcSecretBase32)\n01234567\n", 2, .invalidScratchCode),
    ("\(rfcSecretBase32)\n12345678 \n", 2, .invalidScratchCode),
    ("\(rfcSecretBase32)\njunk\n", 2, .invalidScratchCode),
    ("\(rfcSecretBase32)\n12345678\n12345678\n", 3, .duplicateScratchCode),
  ]

  @Test(arguments: malformed.indices)
  func malformedFilesNameTheLineAndReason(index: Int) {
    let (text, line, reason) = Self.malformed[index]
    #expect(throws: SecretFileError(line: line, reason)) { try parse(text) }
  }

  @Test func bothModesAtOnceIsAnError() {
    #expect(throws: SecretFileError(line: 0, .conflictingModes)) {
      try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" HOTP_COUNTER 1\n")
    }
  }

  @Test func tooManyScratchCodes() {
    let codes = (0...SecretFile.maximumScratchCodes).map { String(10_000_000 + $0) }.joined(separator: "\n")
    #expect(throws: SecretFileError(line: SecretFile.maximumScratchCodes + 2, .tooManyScratchCodes)) {
      try parse("\(rfcSecretBase32)\n" + codes + "\n")
    }
  }

  @Test func errorMessagesNameLineAndReasonButNeverTheSecret() {
    let error = SecretFileError(line: 2, .invalidValue(.windowSize))
    #expect(error.description == "line 2: WINDOW_SIZE: expected a window of 1 to 100 codes")
    let secretError = SecretFileError(line: 1, .invalidSecret(.invalidCharacter(offset: 8, byte: UInt8(ascii: "1"))))
    #expect(secretError.description == "line 1: the secret is not valid: invalid base32 character '1' at position 9")
    let unknown = SecretFileError(line: 3, .unknownOption(Array("BAD\u{1B}KEY".utf8)))
    #expect(unknown.description == "line 3: unknown option \"BAD?KEY\"")
  }
}
