import Testing

/// GA's clock-skew detection: three consecutive codes from a clock that is
/// far off (here 100 steps ahead), each in a later step than the last,
/// store TIME_SKEW and let the third in. `noskewadj` turns it off. One-second
/// steps keep the three attempts within three seconds.
struct SkewAdjustmentTests {
  static let skew: Int64 = 100
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    token.stepSize = 1
    try secrets.enrol("nobody", token)
  }

  /// Three attempts, each early in its own second, with codes `skew` ahead.
  private func threeSkewedAttempts(options: [String]) throws -> [PAMStatus] {
    try (1...3).map { _ in
      let now = TOTPClock.nextSecond()
      let code = token.code(at: now, stepOffset: Self.skew)
      return try PAMSession.authenticate(.otp([secrets.option] + options), user: "nobody", answers: [code]).status
    }
  }

  @Test func thirdConsistentSkewedCodeIsAcceptedAndTheSkewStored() throws {
    #expect(try threeSkewedAttempts(options: []) == [.authError, .authError, .success])
    #expect(try secrets.optionLine("TIME_SKEW", of: "nobody") == "\(Self.skew)")
    // From now on the window is centred on the skewed clock.
    let code = token.code(at: TOTPClock.nextSecond(), stepOffset: Self.skew)
    #expect(try PAMSession.authenticate(.otp([secrets.option]), user: "nobody", answers: [code]).status == .success)
  }

  @Test func noskewadjNeverAdjusts() throws {
    #expect(try threeSkewedAttempts(options: ["noskewadj"]) == [.authError, .authError, .authError])
    #expect(try secrets.optionLine("TIME_SKEW", of: "nobody") == nil)
    #expect(try secrets.optionLine("RESETTING_TIME_SKEW", of: "nobody") == nil, "not even observed")
  }
}
