import Testing

@testable import OTPCore

struct SecretFileWritingTests {
  /// Files as the google-authenticator CLI writes them (observed on this
  /// platform, libpam-google-authenticator 20191231) and as its module
  /// rewrites them: they must come back byte for byte.
  static let gaFiles = [
    "QNBEIKKFA6MDGZGH5JHHDDLJ4M\n\" RATE_LIMIT 3 30\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n47907332\n47691364\n16492757\n16956965\n79408158\n",
    "6RDP7XGFJS6MFFY3YULKAWA5ZI\n\" WINDOW_SIZE 5\n\" HOTP_COUNTER 1\n11420306\n65785307\n18135662\n",
    "MVL4ZGSMLASYUNHTXUGEZCP6Z4\n\" RATE_LIMIT 5 60\n\" WINDOW_SIZE 3\n\" STEP_SIZE 60\n\" TOTP_AUTH\n",
    "VDNFLT4L3DM6SCR53W4J7LU3KA\n\" WINDOW_SIZE 17\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n42745934\n",
    // After GA's module has added lines (inserted right after the secret).
    "VDNFLT4L3DM6SCR53W4J7LU3KA\n\" TIME_SKEW 10\n\" RESETTING_TIME_SKEW \n\" RATE_LIMIT 3 30 1700000000\n\" DISALLOW_REUSE 56666680\n\" TOTP_AUTH\n",
  ]

  @Test(arguments: gaFiles)
  func gaFilesRoundTripByteForByte(original: String) throws {
    #expect(text(of: try parse(original)) == original)
  }

  @Test func writesStrictly() throws {
    let file = try parse("gezd gnbv gy3t qojq gezd gnbv gy3t qojq===\r\n\" TOTP_AUTH\r\n\r\n12345678")
    #expect(text(of: file) == "\(rfcSecretBase32)\n\" TOTP_AUTH\n12345678\n")
  }

  @Test func newOptionsGoRightAfterTheSecretAsGAPutsThem() throws {
    var file = try parse("\(rfcSecretBase32)\n\" WINDOW_SIZE 3\n\" TOTP_AUTH\n12345678\n")
    file.timeSkew = 4
    file.lastLogins = [LastLogin(slot: 0, host: Array("host.example".utf8), time: 1_700_000_000)]
    #expect(text(of: file) == """
      \(rfcSecretBase32)
      " TIME_SKEW 4
      " LAST0 host.example 1700000000
      " WINDOW_SIZE 3
      " TOTP_AUTH
      12345678

      """)
  }

  @Test func defaultAlgorithmAndDigitsAreNotWritten() {
    let file = SecretFile(
      secret: SensitiveBytes(Array("12345678901234567890".utf8)), mode: .totp, windowSize: 3,
      rateLimit: RateLimit(attempts: 3, interval: 30), usedSteps: [], scratchCodes: [12_345_678])
    #expect(text(of: file) == """
      \(rfcSecretBase32)
      " RATE_LIMIT 3 30
      " WINDOW_SIZE 3
      " DISALLOW_REUSE
      " TOTP_AUTH
      12345678

      """)
  }

  @Test func extensionsAfterTheModeLine() {
    let file = SecretFile(
      secret: SensitiveBytes(Array("12345678901234567890".utf8)), mode: .hotp(nextCounter: 1), algorithm: .sha512,
      digits: 8, windowSize: 3)
    #expect(text(of: file) == """
      \(rfcSecretBase32)
      " WINDOW_SIZE 3
      " HOTP_COUNTER 1
      " DIGITS 8
      " ALGORITHM SHA512

      """)
  }

  @Test func stateLinesInGAFormat() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    file.skewObservations = [SkewObservation(step: 56_666_667, skew: 10), SkewObservation(step: 56_666_668, skew: 0), SkewObservation(step: 56_666_669, skew: -3)]
    file.usedSteps = [1, 2]
    file.rateLimit = RateLimit(attempts: 3, interval: 30, times: [5, 6])
    let written = text(of: file)
    #expect(written.contains("\" RESETTING_TIME_SKEW 56666667+10 56666668+0 56666669-3\n"))
    #expect(written.contains("\" DISALLOW_REUSE 1 2\n"))
    #expect(written.contains("\" RATE_LIMIT 3 30 5 6\n"))
    #expect(text(of: try parse(written)) == written)
  }
}
