import Foundation
import Testing

/// A secret file that exists but cannot be trusted or read: the user is
/// asked as usual (nothing is revealed) and libpam gets
/// PAM_AUTHINFO_UNAVAIL. The file is never rewritten.
struct UnusableSecretTests {
  enum Problem: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case groupReadable, worldWritable, malformed, secretTooShort, symlink, hardLinked, directory, fifo,
      tooLarge, parentWritableByOthers
    var testDescription: String { rawValue }
  }

  @Test(arguments: Problem.allCases)
  func unusableSecretIsAuthInfoUnavailable(problem: Problem) throws {
    let secrets = try SecretDirectory()
    let token = TestToken()
    var path = "\(secrets.path)/nobody"
    switch problem {
    case .groupReadable: try secrets.enrol("nobody", token, mode: 0o640)
    case .worldWritable: try secrets.enrol("nobody", token, mode: 0o602)
    case .malformed: try secrets.write("nobody", token.fileText + "\" NO_SUCH_OPTION 1\n")
    case .secretTooShort: try secrets.write("nobody", "JBSWY3DP\n\" TOTP_AUTH\n")
    case .symlink:
      try secrets.enrol("elsewhere", token)
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "\(secrets.path)/elsewhere")
    case .hardLinked:
      try secrets.enrol("elsewhere", token)
      try #require(link("\(secrets.path)/elsewhere", path) == 0)
    case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    case .fifo: try #require(mkfifo(path, 0o600) == 0)
    case .tooLarge: try secrets.write("nobody", token.fileText + String(repeating: "\n", count: 70_000))
    case .parentWritableByOthers:
      // A directory others may write to (and not sticky) could have the file swapped.
      let parent = "\(secrets.path)/open"
      try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false)
      try #require(chmod(parent, 0o777) == 0)
      try secrets.enrol("open/nobody", token)
      path = "\(parent)/nobody"
    }
    let before = try? Data(contentsOf: URL(fileURLWithPath: path))
    let option = problem == .parentWritableByOthers ? "secret=\(secrets.path)/open/${USER}" : secrets.option
    let code = token.code(at: TOTPClock.freshStep(period: 30))
    let result = try PAMSession.authenticate(.otp([option]), user: "nobody", answers: [code])
    #expect(result.status == .authInfoUnavailable)
    #expect(result.promptTexts == ["Verification code: "])
    #expect((try? Data(contentsOf: URL(fileURLWithPath: path))) == before, "left as it was")
  }
}
