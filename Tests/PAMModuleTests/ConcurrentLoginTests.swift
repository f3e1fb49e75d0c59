import Foundation
import Testing

/// Two logins at once can never both use one code: the file is locked
/// around every read-decide-write.
struct ConcurrentLoginTests {
  static let logins = 8

  private func concurrentSuccesses(_ token: TestToken, code: String) throws -> (Int, SecretDirectory) {
    let secrets = try SecretDirectory()
    try secrets.enrol("nobody", token)
    let stack = try PAMStack.otp([secrets.option])
    let successes = LockedValue(0)
    DispatchQueue.concurrentPerform(iterations: Self.logins) { _ in
      let result = try? PAMSession.authenticate(stack, user: "nobody", answers: [code])
      if result?.status == .success { successes.withLock { $0 += 1 } }
    }
    return (successes.current, secrets)
  }

  @Test func sameTOTPCodeIsAcceptedOnceWhenReuseIsDisallowed() throws {
    var token = TestToken()
    token.options = ["DISALLOW_REUSE"]
    let (successes, _) = try concurrentSuccesses(token, code: token.code(at: TOTPClock.freshStep(period: 30)))
    #expect(successes == 1)
  }

  @Test func sameHOTPCodeIsAcceptedOnce() throws {
    var token = TestToken()
    token.hotpCounter = 1
    let (successes, secrets) = try concurrentSuccesses(token, code: token.code(counter: 1))
    #expect(successes == 1)
    let counter = try #require(try secrets.optionLine("HOTP_COUNTER", of: "nobody").flatMap { UInt64($0) })
    #expect(counter >= 2, "moved past the code used, never back")
  }

  @Test func sameScratchCodeIsAcceptedOnce() throws {
    var token = TestToken()
    token.scratchCodes = [13_572_468]
    let (successes, secrets) = try concurrentSuccesses(token, code: "13572468")
    #expect(successes == 1)
    #expect(try !secrets.contents("nobody").contains("13572468"))
  }
}
