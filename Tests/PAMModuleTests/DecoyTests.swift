import CPAM
import Foundation
import Testing

/// `decoy`, the stack line reached when the password was wrong: the user is
/// asked exactly as usual and refused, and no secret file is read or
/// changed, so no one without the password can spend a user's attempts.
struct DecoyTests {
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    token.options = ["RATE_LIMIT 3 30", "DISALLOW_REUSE"]
    try secrets.enrol("nobody", token)
  }

  @Test func rightCodeIsRefusedAndTheFileIsUntouched() throws {
    let before = try secrets.contents("nobody")
    let inode = try secrets.directory.inode("nobody")
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let result = try PAMSession.authenticate(.otp([secrets.option, "decoy"]), user: "nobody", answers: [code])
    #expect(result.status == .authError)
    #expect(result.prompts == [.init(style: PAM_PROMPT_ECHO_OFF, text: "Verification code: ")])
    #expect(try secrets.contents("nobody") == before, "no attempt recorded, no step claimed")
    #expect(try secrets.directory.inode("nobody") == inode)
    // The code is still unused.
    #expect(try PAMSession.authenticate(.otp([secrets.option]), user: "nobody", answers: [code]).status == .success)
  }

  @Test func promptIsTheSameForEveryUserAndOption() throws {
    for options in [["decoy"], ["decoy", "echo_verification_code"], ["decoy", "forward_pass"]] {
      let real = try PAMSession.authenticate(.otp([secrets.option] + options.dropFirst()), user: "nobody", answers: ["0"])
      for user in ["nobody", "daemon", "pamotp-no-such-user"] {
        let decoy = try PAMSession.authenticate(.otp([secrets.option] + options), user: user, answers: ["000000"])
        #expect(decoy.status == .authError, "\(options) \(user)")
        #expect(decoy.prompts == real.prompts, "\(options) \(user)")
      }
    }
  }

  @Test func unusableFileIsNotEvenLookedAt() throws {
    try secrets.enrol("nobody", token, mode: 0o666)
    let result = try PAMSession.authenticate(.otp([secrets.option, "decoy"]), user: "nobody", answers: ["000000"])
    #expect(result.status == .authError, "refused, not PAM_AUTHINFO_UNAVAIL: the file was not read")
  }
}
