import CPAM
import Testing

extension SyslogTests {
  /// One line per decision, through pam_syslog to authpriv: user, service,
  /// remote host, tty, result and the reason or method.
  struct DecisionLogTests {
    static let authpriv = 10
    let secrets: SecretDirectory
    var token = TestToken()

    init() throws { secrets = try SecretDirectory() }

    private func stack(_ options: String...) throws -> PAMStack { try .otp([secrets.option] + options) }

    private func context(_ logged: LoggedAuthentication, host: String = "-", tty: String = "-") -> String {
      "user=nobody service=\(logged.result.service) rhost=\(host) tty=\(tty)"
    }

    @Test func successNamesTheHostTTYAndMethod() throws {
      try secrets.enrol("nobody", token)
      let logged = try LoggedAuthentication.run(
        stack(), answers: [token.code(at: TOTPClock.freshStep(period: 30))],
        items: [PAM_RHOST: "198.51.100.4", PAM_TTY: "pts/7"])
      #expect(logged.result.status == .success)
      #expect(try logged.decision().message == context(logged, host: "198.51.100.4", tty: "pts/7") + " result=success method=totp")
      #expect(logged.lines.count == 1, "nothing else is logged")
      #expect(logged.lines.first?.facility == Self.authpriv)
      #expect(logged.lines.first?.severity == LOG_INFO)
    }

    @Test func wrongCodeIsRefusedAtNotice() throws {
      try secrets.enrol("nobody", token)
      let step = token.step(at: TOTPClock.freshStep(period: 30))
      let logged = try LoggedAuthentication.run(stack(), answers: [token.wrongCode(avoiding: step - 1...step + 1)])
      #expect(try logged.decision().message == context(logged) + " result=refused reason=\"wrong code\"")
      #expect(logged.lines.first?.severity == LOG_NOTICE)
      #expect(logged.lines.first?.facility == Self.authpriv)
    }

    @Test mutating func replayNamesTheReuse() throws {
      token.options = ["DISALLOW_REUSE"]
      try secrets.enrol("nobody", token)
      let code = token.code(at: TOTPClock.freshStep(period: 30))
      #expect(try PAMSession.authenticate(stack(), user: "nobody", answers: [code]).status == .success)
      let logged = try LoggedAuthentication.run(stack(), answers: [code])
      #expect(try logged.decision().message == context(logged) + " result=refused reason=\"code already used\"")
    }

    @Test mutating func rateLimitIsNamed() throws {
      let now = TOTPClock.now()
      token.options = ["RATE_LIMIT 1 30 \(now)"]
      try secrets.enrol("nobody", token)
      let logged = try LoggedAuthentication.run(stack(), answers: [])
      #expect(try logged.decision().message == context(logged) + " result=refused reason=\"rate limit exceeded\"")
    }

    @Test mutating func otherMethodsAreNamed() throws {
      token.scratchCodes = [97_531_864]
      try secrets.enrol("nobody", token)
      let scratch = try LoggedAuthentication.run(stack(), answers: ["97531864"])
      #expect(try scratch.decision().message == context(scratch) + " result=success method=scratch_code")
      var hotp = TestToken()
      hotp.hotpCounter = 1
      try secrets.enrol("nobody", hotp)
      let counter = try LoggedAuthentication.run(stack(), answers: [hotp.code(counter: 1)])
      #expect(try counter.decision().message == context(counter) + " result=success method=hotp")
      let host = [PAM_RHOST: "198.51.100.9"]
      _ = try PAMSession.authenticate(stack("grace_period=60"), user: "nobody", answers: [hotp.code(counter: 2)], items: host)
      let grace = try LoggedAuthentication.run(stack("grace_period=60"), answers: [], items: host)
      #expect(try grace.decision().message == context(grace, host: "198.51.100.9") + " result=success method=grace_period")
    }

    @Test func notEnrolledIsNamedWithAndWithoutNullok() throws {
      let ignored = try LoggedAuthentication.run(stack("nullok"), answers: [])
      #expect(try ignored.decision().message == context(ignored) + " result=ignored reason=\"not enrolled (nullok)\"")
      #expect(ignored.lines.first?.severity == LOG_INFO)
      let refused = try LoggedAuthentication.run(stack(), answers: ["000000"])
      #expect(try refused.decision().message == context(refused) + " result=refused reason=\"not enrolled\"")
    }

    @Test func unknownUserIsRefusedAndAnUnsafeNameIsShownSafely() throws {
      let unknown = try LoggedAuthentication.run(stack(), user: "pamotp-no-such-user", answers: ["000000"])
      #expect(try unknown.decision().message?.hasSuffix(" result=refused reason=\"unknown user\"") == true)
      // sshd hands PAM whatever name the client sent. Neither a line break
      // nor a space may let it forge a line or a field of its own.
      let forged = try LoggedAuthentication.run(stack(), user: "x\nuser=root result=success", answers: ["000000"])
      let message = try #require(try forged.decision().message)
      #expect(!message.contains("\n"))
      #expect(message.components(separatedBy: "result=").count == 2, "one result= field only: \(message)")
      #expect(message.hasSuffix(" result=refused reason=\"invalid user name\""))
      let host = try LoggedAuthentication.run(stack(), answers: ["000000"], items: [PAM_RHOST: "h result=success"])
      let hostMessage = try #require(try host.decision().message)
      #expect(hostMessage.components(separatedBy: "result=").count == 2, "one result= field only: \(hostMessage)")
    }

    @Test func formatDirectivesInANameAreTextNotFormats() throws {
      let logged = try LoggedAuthentication.run(stack(), user: "%s%n%x", answers: ["000000"])
      // Logged as text, with '%' escaped so no reader can take it for a directive.
      #expect(try logged.decision().message?.hasPrefix("user=%25s%25n%25x service=") == true)
    }

    @Test func unusableFileNamesThePathAndTheProblemAtError() throws {
      try secrets.enrol("nobody", token, mode: 0o604)
      let logged = try LoggedAuthentication.run(stack(), answers: ["000000"])
      let message = try #require(try logged.decision().message)
      #expect(message.hasPrefix(context(logged) + " result=error reason=\""))
      #expect(message.contains("\(secrets.path)/nobody"))
      #expect(message.contains("0604"))
      #expect(logged.lines.first?.severity == LOG_ERR)
    }

    /// The decoy says it is one, what the real line would have concluded,
    /// and whether it asked anything.
    @Test func decoyIsNamedWithWhatTheRealLineWouldHaveDone() throws {
      let logged = try LoggedAuthentication.run(stack("decoy"), answers: ["000000"])
      #expect(
        try logged.decision().message
          == context(logged) + " result=decoy reason=\"earlier module failed\" real_line=\"refused: not enrolled\" prompted=yes")
      let standsAside = try LoggedAuthentication.run(stack("decoy", "nullok"), answers: [])
      #expect(
        try standsAside.decision().message
          == context(standsAside)
          + " result=decoy reason=\"earlier module failed\" real_line=\"ignored: not enrolled (nullok)\" prompted=no")
      try secrets.enrol("nobody", token)
      let right = try LoggedAuthentication.run(stack("decoy"), answers: [token.code(at: TOTPClock.freshStep(period: 30))])
      #expect(try right.decision().message?.hasSuffix(" result=decoy reason=\"earlier module failed\" real_line=\"success\" prompted=yes") == true)
    }

    @Test func conversationOutcomesAreNamed() throws {
      try secrets.enrol("nobody", token)
      let again = try LoggedAuthentication.run(stack(), replies: [.again])
      #expect(try again.decision().message == context(again) + " result=incomplete reason=\"conversation will resume\"")
      let failed = try LoggedAuthentication.run(stack(), replies: [.fail])
      #expect(try failed.decision().message == context(failed) + " result=error reason=\"conversation failed (\(PAM_CONV_ERR))\"")
    }
  }
}
