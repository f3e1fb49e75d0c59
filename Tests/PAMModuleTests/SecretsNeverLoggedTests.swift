import CPAM
import Testing

extension SyslogTests {
  /// No code, secret, scratch code or password ever reaches a log line,
  /// whatever the outcome, with `debug` on.
  struct SecretsNeverLoggedTests {
    @Test func noSecretInAnyLine() throws {
      let secrets = try SecretDirectory()
      var token = TestToken()
      token.options = ["DISALLOW_REUSE"]
      token.scratchCodes = [36_925_814, 14_725_836]
      try secrets.enrol("nobody", token)
      let password = "Tr0ub4dor&3"
      let now = TOTPClock.freshStep(period: 30)
      let code = token.code(at: now)
      let step = token.step(at: now)
      let wrong = token.wrongCode(avoiding: step - 1...step + 1)
      let debug = [secrets.option, "debug"]
      var runs: [LoggedAuthentication] = []
      runs.append(try .run(.otp(debug), answers: [wrong]))
      runs.append(try .run(.otp(debug + ["forward_pass"]), answers: [password + code]))
      runs.append(try .run(.otp(debug + ["forward_pass"]), answers: [password + code]))  // replay
      runs.append(try .run(.otp(debug + ["forward_pass"]), answers: [password + "36925814"]))
      runs.append(try .run(.otp(debug + ["echo_verification_code"]), answers: ["not-a-code " + password]))
      runs.append(try .run(.otp(debug), user: "daemon", answers: [code]))
      let lines = runs.flatMap(\.lines)
      #expect(lines.count >= runs.count)
      let forbidden = [code, wrong, "36925814", "14725836", password, token.base32, token.base32.lowercased()]
        + (1...3).map { token.code(at: now, stepOffset: Int64($0) - 2) }
      for line in lines {
        for secret in forbidden {
          #expect(!line.contains(secret), "\"\(secret)\" appears in: \(line)")
        }
      }
    }
  }
}
