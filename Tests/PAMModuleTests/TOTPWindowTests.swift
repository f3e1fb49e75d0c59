import OTPCore
import Testing

/// Which TOTP codes are accepted: WINDOW_SIZE codes around the current
/// step (3 means the previous, the current and the next), STEP_SIZE
/// seconds per step, and the DIGITS and ALGORITHM extension lines.
/// `noskewadj` keeps GA's skew search out of these cases.
struct TOTPWindowTests {
  let secrets: SecretDirectory

  init() throws { secrets = try SecretDirectory() }

  private func accepts(_ token: TestToken, stepOffset: Int64) throws -> Bool {
    try secrets.enrol("nobody", token)
    let code = token.code(at: TOTPClock.freshStep(period: token.period), stepOffset: stepOffset)
    let result = try PAMSession.authenticate(.otp([secrets.option, "noskewadj"]), user: "nobody", answers: [code])
    return result.status == .success
  }

  @Test(arguments: [(-2, false), (-1, true), (0, true), (1, true), (2, false)])
  func defaultWindowIsPreviousCurrentAndNextStep(offset: Int64, accepted: Bool) throws {
    #expect(try accepts(TestToken(), stepOffset: offset) == accepted)
  }

  @Test(arguments: [(-3, false), (-2, true), (2, true), (3, false)])
  func windowSizeFiveReachesTwoStepsEachWay(offset: Int64, accepted: Bool) throws {
    var token = TestToken()
    token.windowSize = 5
    #expect(try accepts(token, stepOffset: offset) == accepted)
  }

  @Test func windowSizeOneIsTheCurrentStepOnly() throws {
    var token = TestToken()
    token.windowSize = 1
    #expect(try accepts(token, stepOffset: 0))
    #expect(try !accepts(token, stepOffset: 1))
    #expect(try !accepts(token, stepOffset: -1))
  }

  /// A code is computed from time / STEP_SIZE: the code for the same moment
  /// with 30-second steps is a different counter, and refused.
  @Test(arguments: [10, 60, 90])
  func stepSizeSetsTheLengthOfAStep(stepSize: Int) throws {
    var token = TestToken()
    token.stepSize = stepSize
    #expect(try accepts(token, stepOffset: 0))
    var thirtySeconds = token
    thirtySeconds.stepSize = nil
    let now = TOTPClock.freshStep(period: stepSize)
    let step = token.step(at: now)
    let wrongPeriodCode = thirtySeconds.code(at: now)
    let windowCodes = (step - 1...step + 1).map { token.code(counter: UInt64($0)) }
    try #require(!windowCodes.contains(wrongPeriodCode), "the two periods happen to give the same code")
    let result = try PAMSession.authenticate(.otp([secrets.option, "noskewadj"]), user: "nobody", answers: [wrongPeriodCode])
    #expect(result.status == .authError)
  }

  @Test(arguments: [(HashAlgorithm.sha1, 8), (.sha256, 6), (.sha256, 7), (.sha512, 8)])
  func digitsAndAlgorithmLinesAreHonoured(algorithm: HashAlgorithm, digits: Int) throws {
    var token = TestToken()
    token.algorithm = algorithm
    token.digits = digits
    #expect(try accepts(token, stepOffset: 0))
    var sha1SixDigits = TestToken(secret: token.secret)
    sha1SixDigits.stepSize = nil
    let plainCode = sha1SixDigits.code(at: TOTPClock.now())
    let result = try PAMSession.authenticate(.otp([secrets.option, "noskewadj"]), user: "nobody", answers: [plainCode])
    #expect(result.status == .authError, "a SHA1/6 code is not a \(algorithm.name)/\(digits) code")
  }
}
