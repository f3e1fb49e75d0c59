import Foundation
import CPAM
import Testing

extension SyslogTests {
  /// What the module logs about its own configuration: a bad option by
  /// name, the secret file's path with `debug` (and only then), and the
  /// warning when `allow_readonly` let a login through unsaved.
  struct ConfigurationLogTests {
    let secrets: SecretDirectory
    let token = TestToken()

    init() throws {
      secrets = try SecretDirectory()
      try secrets.enrol("nobody", token)
    }

    @Test(arguments: [
      ("bogus", "unrecognized option [bogus]"),
      ("grace_period=abc", "invalid value in option [grace_period=abc]"),
      ("nullok=1", "invalid value in option [nullok=1]"),
    ])
    func badOptionIsNamedAtError(option: String, message: String) throws {
      let logged = try LoggedAuthentication.run(.otp([secrets.option, option]), answers: [])
      #expect(logged.result.status == .serviceError)
      // The option named, after the context fields (no user asked for yet).
      let logged_message = try logged.onlyMessage()
      #expect(logged_message.hasPrefix("user=nobody service="), "\(logged_message)")
      #expect(logged_message.hasSuffix(" result=error reason=\"\(message)\""), "\(logged_message)")
      #expect(logged.lines.first?.severity == LOG_ERR)
    }

    @Test func debugLogsTheSecretPathAtDebugLevel() throws {
      let code = token.code(at: TOTPClock.freshStep(period: 30))
      let logged = try LoggedAuthentication.run(.otp([secrets.option, "debug"]), answers: [code])
      #expect(logged.result.status == .success)
      let debug = logged.lines.filter { $0.severity == LOG_DEBUG }
      #expect(debug.count == 1)
      #expect(debug.first?.message?.hasSuffix("secret=\(secrets.path)/nobody") == true, "\(debug)")
      #expect(logged.lines.count == 2, "the debug line and the decision")
    }

    @Test func withoutDebugThePathIsNotLogged() throws {
      let code = token.code(at: TOTPClock.freshStep(period: 30))
      let logged = try LoggedAuthentication.run(.otp([secrets.option]), answers: [code])
      #expect(logged.lines.count == 1)
      #expect(!logged.lines.contains { $0.contains(secrets.path) })
      #expect(!logged.lines.contains { $0.severity == LOG_DEBUG })
    }

    @Test func allowReadonlyLoginIsLoggedWithAWarning() throws {
      var totp = TestToken()
      totp.options = ["DISALLOW_REUSE"]
      try TmpfsMount.with(kilobytes: 32) { mount in
        try totp.fileText.write(toFile: "\(mount.path)/nobody", atomically: false, encoding: .utf8)
        try #require(chmod("\(mount.path)/nobody", 0o600) == 0)
        try mount.remount(readOnly: true)
        let logged = try LoggedAuthentication.run(
          .otp(["secret=\(mount.path)/${USER}", "allow_readonly"]),
          answers: [totp.code(at: TOTPClock.freshStep(period: 30))])
        #expect(logged.result.status == .success)
        let decision = try #require(logged.lines.last?.message)
        #expect(decision.hasSuffix("result=success method=totp warning=\"state not saved (allow_readonly)\""))
        #expect(logged.lines.contains {
          $0.severity == LOG_WARNING && $0.message?.contains("state not saved") == true
            && $0.message?.contains("read-only file system") == true
        })
      }
    }
  }
}
