import Foundation
import OTPStore
import Testing

@testable import otpctl

#if canImport(Glibc)
import Glibc
#endif

/// The exit codes are a documented interface (scripts test them): the help
/// text, the error kinds and the mapping of store errors must agree.
struct ExitCodeTests {
  /// The numbers `otpctl --help` documents, from OTPCtl.swift's discussion.
  static let documented: [(CLIError.Kind, String)] = [
    (.refused, "1 code refused"), (.usage, "64 usage error"), (.dataError, "65 malformed or unsafe secret file"),
    (.notEnrolled, "66 not enrolled"), (.unknownUser, "67 unknown user"), (.exists, "73 a secret file exists"),
    (.ioError, "74 input/output error"), (.permission, "77 permission denied"),
  ]

  @Test func theHelpTextListsEveryKindWithItsNumber() {
    let help = OTPCtl.configuration.discussion.replacingOccurrences(of: "\n", with: " ")
    for (kind, text) in Self.documented {
      #expect(help.contains(text), "help lacks \"\(text)\"")
      #expect(text.hasPrefix("\(kind.rawValue) "))
    }
  }

  static let path = "/var/lib/pam_otp/alice"

  @Test(arguments: [
    (StoreError.notFound(path: path), CLIError.Kind.notEnrolled),
    (.invalidPath(path: path, reason: "contains '..'"), .usage),
    (.unsafeDirectory(path: path, problem: .symlink), .dataError),
    (.unsafeFile(path: path, problem: .symlink), .dataError),
    (.unsafeFile(path: path, problem: .permissions(mode: 0o644, allowed: 0o600)), .dataError),
    (.malformed(path: path, error: .init(line: 3, .invalidScratchCode)), .dataError),
    (.alreadyExists(path: path), .exists),
    (.lockTimeout(path: path), .ioError),
    (.system(path: path, SystemError(.open, code: EACCES)), .permission),
    (.system(path: path, SystemError(.rename, code: EPERM)), .permission),
    (.system(path: path, SystemError(.write, code: ENOSPC)), .ioError),
    (.system(path: path, SystemError(.read, code: EIO)), .ioError),
  ])
  func storeErrorsMapToDocumentedCodes(error: StoreError, kind: CLIError.Kind) {
    let cliError = CLIError(error)
    #expect(cliError.kind == kind)
    // The message names the file, so the user knows what to look at.
    #expect(cliError.message.contains(Self.path))
  }

  @Test func adviceFollowsTheMessageOnItsOwnLine() {
    let error = CLIError(.system(path: Self.path, SystemError(.open, code: EACCES)), advice: "ask root")
    #expect(error.message.split(separator: "\n").last == "ask root")
    #expect(error.message.split(separator: "\n").count == 2)
  }
}
