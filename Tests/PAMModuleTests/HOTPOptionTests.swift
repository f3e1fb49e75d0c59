import Testing

/// HOTP files (`" HOTP_COUNTER n`): the window of counters accepted, and
/// `no_increment_hotp`, which stops a wrong code from moving the counter.
struct HOTPOptionTests {
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    token.hotpCounter = 1
    try secrets.enrol("nobody", token)
  }

  private func authenticate(_ answer: String, options: [String] = []) throws -> PAMStatus {
    try PAMSession.authenticate(.otp([secrets.option] + options), user: "nobody", answers: [answer]).status
  }

  private var counter: String? { get throws { try secrets.optionLine("HOTP_COUNTER", of: "nobody") } }

  @Test func lastCounterOfTheWindowIsAccepted() throws {
    #expect(try authenticate(token.code(counter: 3)) == .success, "window 3 from counter 1 is 1...3")
    #expect(try counter == "4")
  }

  @Test func counterBeyondTheWindowIsRefused() throws {
    let beyond = token.code(counter: 4)
    try #require(!(1...3).map { token.code(counter: $0) }.contains(beyond), "codes happen to coincide")
    #expect(try authenticate(beyond, options: ["no_increment_hotp"]) == .authError)
    #expect(try counter == "1")
  }

  @Test func wrongCodeAdvancesTheCounterByDefault() throws {
    #expect(try authenticate(token.wrongCode(avoiding: 1...3)) == .authError)
    #expect(try counter == "2")
  }

  @Test func noIncrementHOTPLeavesTheCounterAfterAWrongCode() throws {
    #expect(try authenticate(token.wrongCode(avoiding: 1...3), options: ["no_increment_hotp"]) == .authError)
    #expect(try counter == "1")
    #expect(try authenticate(token.code(counter: 1), options: ["no_increment_hotp"]) == .success)
    #expect(try counter == "2", "a right code still moves it")
  }
}
