import Foundation
import Testing

/// A home directory the user cannot write to makes the write fail (the
/// module writes as the user) with "permission denied": not a full or
/// read-only disk, so `allow_readonly` does not apply and the login is
/// denied whatever the code (FullDiskTests covers the disks it is for).
struct ReadOnlyStateTests {
  private func withReadOnlyHome(_ token: TestToken, _ body: (ThrowawayUser) throws -> Void) throws {
    try ThrowawayUser.with { user in
      try user.writeHomeFile(HomeDirectoryTests.fileName, token.fileText, mode: 0o400)
      try #require(chmod(user.home, 0o500) == 0)
      try body(user)
    }
  }

  private func authenticate(_ user: ThrowawayUser, _ options: [String], answer: String) throws -> PAMStatus {
    try PAMSession.authenticate(
      .otp(["secret=~/\(HomeDirectoryTests.fileName)"] + options), user: user.name, answers: [answer]
    ).status
  }

  @Test func aWriteRefusedForPermissionsDeniesTheLoginEvenWithAllowReadonly() throws {
    var token = TestToken()
    token.hotpCounter = 1
    try withReadOnlyHome(token) { user in
      #expect(try authenticate(user, [], answer: token.code(counter: 1)) == .authInfoUnavailable)
      #expect(try authenticate(user, ["allow_readonly"], answer: token.code(counter: 1)) == .authInfoUnavailable)
      #expect(try authenticate(user, ["allow_readonly"], answer: "000000") == .authInfoUnavailable)
      let text = try String(contentsOfFile: "\(user.home)/\(HomeDirectoryTests.fileName)", encoding: .utf8)
      #expect(text.contains("\" HOTP_COUNTER 1"), "nothing was written")
    }
  }

  @Test func aTOTPCodeIsDeniedToo() throws {
    var token = TestToken()
    token.options = ["DISALLOW_REUSE"]
    try withReadOnlyHome(token) { user in
      let status = try authenticate(user, ["allow_readonly"], answer: token.code(at: TOTPClock.freshStep(period: 30)))
      #expect(status == .authInfoUnavailable, "EACCES is a fault to fix, not a read-only disk")
    }
  }

  @Test func scratchCodeNeedsItsRemovalSavedEvenWithAllowReadonly() throws {
    var token = TestToken()
    token.scratchCodes = [24_681_357]
    try withReadOnlyHome(token) { user in
      let status = try authenticate(user, ["allow_readonly"], answer: "24681357")
      #expect(status == .authInfoUnavailable, "a scratch code that stays in the file would work forever")
    }
  }

  @Test func unchangedStateNeedsNoWrite() throws {
    // TOTP without rate limit or reuse check: nothing to save, so no error.
    let token = TestToken()
    try withReadOnlyHome(token) { user in
      let status = try authenticate(user, [], answer: token.code(at: TOTPClock.freshStep(period: 30)))
      #expect(status == .success)
    }
  }
}
