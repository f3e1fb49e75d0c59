import Foundation
import Testing

/// libpam dlcloses the module at every pam_end. Code that was unloaded
/// must never run again: a second and third login in one process, and a
/// thread that logs in and exits, must all work (the module is linked
/// `-z nodelete`).
struct ModuleLifecycleTests {
  let secrets: SecretDirectory
  var token = TestToken()

  init() throws {
    secrets = try SecretDirectory()
    token.hotpCounter = 1
    try secrets.enrol("nobody", token)
  }

  private func authenticate(counter: UInt64) throws -> PAMStatus {
    try PAMSession.authenticate(.otp([secrets.option]), user: "nobody", answers: [token.code(counter: counter)]).status
  }

  @Test func threeAuthenticationsInOneProcess() throws {
    for counter: UInt64 in 1...3 {
      #expect(try authenticate(counter: counter) == .success, "authentication \(counter)")
    }
    #expect(try secrets.optionLine("HOTP_COUNTER", of: "nobody") == "4")
  }

  @Test func authenticationOnAThreadThatThenExits() throws {
    let status = LockedValue<PAMStatus?>(nil)
    let joined = DetachedThread.run { [self] in
      let result = try? authenticate(counter: 1)
      status.withLock { $0 = result }
    }
    #expect(joined == 0)
    #expect(status.current == .success, "the thread's authentication")
    // Still alive after the thread's exit destructors ran; and again:
    #expect(try authenticate(counter: 2) == .success)
    let joinedAgain = DetachedThread.run { [self] in _ = try? authenticate(counter: 3) }
    #expect(joinedAgain == 0)
    #expect(try authenticate(counter: 4) == .success)
  }
}
