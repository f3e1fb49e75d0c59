import Foundation
import Testing

extension SyslogTests {
  /// The secret file on a file system that is full, or read-only: a code
  /// whose new state cannot be saved, right or wrong, is refused with the
  /// cause in the log (PAM_AUTHINFO_UNAVAIL), or, if right, let in under
  /// `allow_readonly` when it is a TOTP code (never a scratch or HOTP code,
  /// which could not be crossed off). The file is left byte for byte as it
  /// was, with no temporary file beside it.
  struct FullDiskTests {
    enum Fault: String, CaseIterable, Sendable {
      case full = "no space left on device"
      case readOnly = "read-only file system"
    }

    enum Login: String, CaseIterable, Sendable {
      /// TOTP with reuse disallowed: the used step must be saved.
      case totp
      case totpAllowReadonly
      case scratchCodeAllowReadonly
      /// HOTP: the counter must move on.
      case hotp
      case hotpAllowReadonly
      /// A wrong code ends like a right one: a broken disk tells no one
      /// which code was right.
      case wrongCode
      case wrongCodeAllowReadonly
    }

    @Test(arguments: Fault.allCases, Login.allCases)
    func loginOnABrokenFileSystem(fault: Fault, login: Login) throws {
      try TmpfsMount.with(kilobytes: 32) { mount in
        var token = TestToken()
        token.options = ["DISALLOW_REUSE"]
        token.scratchCodes = [31_415_926]
        if login == .hotp || login == .hotpAllowReadonly { token.hotpCounter = 1 }
        let file = "\(mount.path)/nobody"
        try #require(FileManager.default.createFile(atPath: file, contents: Data(token.fileText.utf8), attributes: [.posixPermissions: 0o600]))
        let before = try #require(FileManager.default.contents(atPath: file))
        let answer =
          switch login {
          case .totp, .totpAllowReadonly: token.code(at: TOTPClock.freshStep(period: token.period))
          case .scratchCodeAllowReadonly: "31415926"
          case .hotp, .hotpAllowReadonly: token.code(counter: 1)
          case .wrongCode, .wrongCodeAllowReadonly: TestToken().code(at: TOTPClock.freshStep(period: token.period))
          }
        let withoutAllowReadonly: [Login] = [.totp, .hotp, .wrongCode]
        let options = ["secret=\(mount.path)/${USER}"] + (withoutAllowReadonly.contains(login) ? [] : ["allow_readonly"])
        switch fault {
        case .full: try mount.fill()
        case .readOnly: try mount.remount(readOnly: true)
        }

        let logged = try LoggedAuthentication.run(.otp(options), answers: [answer])

        let all = logged.lines.map(\.raw).joined(separator: "\n")
        if login == .totpAllowReadonly {
          #expect(logged.result.status == .success)
          #expect(try logged.decision().contains("warning=\"state not saved (allow_readonly)\""), "\(all)")
        } else {
          #expect(logged.result.status == .authInfoUnavailable)
          #expect(try logged.decision().contains("result=error reason=\"state not saved: \(file): cannot "), "\(all)")
        }
        #expect(logged.lines.contains { $0.contains(fault.rawValue) }, "the cause is named: \(all)")
        #expect(FileManager.default.contents(atPath: file) == before, "the secret file is intact")
        #expect(try mount.temporaryFiles().isEmpty)

        // Once the file system is back, the refused code was not used up.
        guard login == .totp || login == .hotp else { return }
        switch fault {
        case .full: mount.freeSpace()
        case .readOnly: try mount.remount(readOnly: false)
        }
        #expect(try PAMSession.authenticate(.otp(options), user: "nobody", answers: [answer]).status == .success)
      }
    }
  }
}
