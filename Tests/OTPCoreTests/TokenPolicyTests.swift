import Testing

@testable import OTPCore

/// The policy with several tokens: a code of any active token logs in, each
/// token keeps its own replay state, and the user's rate limit, back-off and
/// scratch codes are counted once per answer.
struct TokenPolicyTests {
  let now: Int64 = 1_700_000_000
  static let other = Array("abcdefghijklmnopqrst".utf8)

  func twoTokens(_ extra: String = "", second: OTPToken? = nil) throws -> SecretFile {
    var file = try parse("\(rfcSecretBase32)\n\" RATE_LIMIT 3 30\n\" DISALLOW_REUSE\n\" TOTP_AUTH\n" + extra)
    try file.addToken(
      second ?? OTPToken(name: "tablet", secret: SensitiveBytes(Self.other), mode: .totp, usedSteps: []))
    return file
  }

  func secondCode(_ file: SecretFile, counter: Int64) throws -> [UInt8] {
    try #require(file.token(at: 1)).generator.code(counter: UInt64(counter)).bytes
  }

  func judge(_ answer: [UInt8], _ file: inout SecretFile, at time: Int64) -> (Verdict, String?) {
    var matched: Int? = nil
    let verdict = Verifier(token: file).verify(
      readings: [answer], at: time, remoteHost: nil, state: &file, matchedToken: &matched)
    return (verdict, matched.flatMap { file.token(at: $0)?.name })
  }

  @Test func aCodeOfEitherTokenLogsInAndNamesItsToken() throws {
    var file = try twoTokens()
    let step = now / 30
    #expect(judge(code(file, step: step), &file, at: now) == (.accepted(.totp(step: step)), "default"))
    #expect(judge(try secondCode(file, counter: step), &file, at: now + 1) == (.accepted(.totp(step: step)), "tablet"))
    // Each token's step is its own: claimed once each.
    #expect(file.primary.usedSteps == [step] && file.token(at: 1)?.usedSteps == [step])
    #expect(file.token(at: 1)?.lastUsed == now + 1 && file.primary.lastUsed == now)
  }

  @Test func aReplayedCodeOfEitherTokenIsRefused() throws {
    var file = try twoTokens()
    let step = now / 30
    let first = code(file, step: step)
    let second = try secondCode(file, counter: step)
    #expect(judge(first, &file, at: now).0.isAccepted)
    #expect(judge(second, &file, at: now).0.isAccepted)
    file.rateLimit = nil
    #expect(judge(first, &file, at: now + 2) == (.refused(.replayedCode), nil))
    #expect(judge(second, &file, at: now + 3) == (.refused(.replayedCode), nil))
  }

  @Test func theRateLimitCountsAnAnswerOnceWhateverTheNumberOfTokens() throws {
    var file = try twoTokens()
    try file.addToken(OTPToken(name: "third", secret: SensitiveBytes(Array("ABCDEFGHIJKLMNOPQRST".utf8)), mode: .totp))
    for attempt in 0..<3 {
      #expect(judge(Array("000000".utf8), &file, at: now + Int64(attempt)).0 == .refused(.wrongCode))
      #expect(file.rateLimit?.times.count == attempt + 1)
      #expect(file.failures?.count == attempt + 1)
    }
    // The fourth answer in 30 s is refused unjudged, even a right one of
    // the second token (the back-off aside).
    file.failures = nil
    #expect(judge(try secondCode(file, counter: now / 30), &file, at: now + 3).0 == .refused(.rateLimited))
  }

  @Test func scratchCodesAreTheUsersAndWorkOnce() throws {
    var file = try twoTokens("12345678\n")
    #expect(judge(Array("12345678".utf8), &file, at: now) == (.accepted(.scratchCode), nil))
    file.rateLimit = nil
    #expect(judge(Array("12345678".utf8), &file, at: now + 1).0 != .accepted(.scratchCode))
  }

  @Test func anInactiveTokenLogsNoOneIn() throws {
    var file = try twoTokens()
    file.modifyToken(at: 1) { $0.isActive = false }
    #expect(judge(try secondCode(file, counter: now / 30), &file, at: now).0 == .refused(.wrongCode))
    // The primary cannot be made inactive: GA's module would accept it anyway.
    file.modifyToken(at: 0) { $0.isActive = false }
    #expect(file.primary.isActive)
  }

  @Test func anHOTPTokenStartsAtCounterZeroAndMovesOn() throws {
    var file = try twoTokens(
      second: OTPToken(name: "yubikey", secret: SensitiveBytes(Self.other), mode: .hotp(nextCounter: 0)))
    let zero = try secondCode(file, counter: 0)
    #expect(judge(zero, &file, at: now) == (.accepted(.hotp(counter: 0)), "yubikey"))
    #expect(file.token(at: 1)?.mode == .hotp(nextCounter: 1))
    #expect(judge(zero, &file, at: now + 1).0 == .refused(.wrongCode))
  }

  @Test func tokensOfDifferentLengthsAreEachJudgedAtTheirOwnLength() throws {
    var file = try twoTokens(
      second: OTPToken(name: "eight", secret: SensitiveBytes(Self.other), mode: .totp, digits: 8, usedSteps: []))
    let step = now / 30
    let eight = try secondCode(file, counter: step)
    #expect(eight.count == 8)
    #expect(judge(eight, &file, at: now) == (.accepted(.totp(step: step)), "eight"))
    #expect(judge(code(file, step: step), &file, at: now + 1).0.isAccepted)
  }

  @Test func theLoginPolicyNamesTheTokenAndTheCombinedAnswerItsLength() throws {
    let policy = LoginPolicy(options: try ModuleOptions.parse([Array("forward_pass".utf8)]))
    var file = try twoTokens(
      second: OTPToken(name: "eight", secret: SensitiveBytes(Self.other), mode: .totp, digits: 8, usedSteps: []))
    let answer = Array("hunter2".utf8) + (try secondCode(file, counter: now / 30))
    let judgement = policy.judge(
      AnswerReadings(combined: SensitiveBytes(answer)), file: &file, at: now, remoteHost: nil)
    guard case .verdict(let verdict, let length, _, _, _, _, let token) = judgement else {
      Issue.record("no verdict")
      return
    }
    #expect(verdict.isAccepted && length == 8 && token == Array("eight".utf8))
  }

  @Test func recordingTheLastUseNeverCausesAWriteByItself() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    try file.addToken(OTPToken(name: "tablet", secret: SensitiveBytes(Self.other), mode: .totp))
    file = try parse(text(of: file))
    #expect(!file.hasChanges)
    #expect(judge(try secondCode(file, counter: now / 30), &file, at: now).0.isAccepted)
    #expect(!file.hasChanges)
  }
}
