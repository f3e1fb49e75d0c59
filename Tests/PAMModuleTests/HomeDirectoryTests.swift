import Foundation
import Testing

/// GA-style files in the user's home (`secret=~/.google_authenticator`): a
/// file in a directory the user owns is opened and rewritten with the
/// user's file-system identity, never as root, and must be the user's own.
/// Each test creates a throwaway user and removes it again.
struct HomeDirectoryTests {
  static let fileName = ".google_authenticator"
  let token = TestToken()

  private func authenticate(_ user: ThrowawayUser, options: [String] = [], answer: String) throws -> PAMStatus {
    let secret = ["secret=~/\(Self.fileName)"]
    return try PAMSession.authenticate(.otp(secret + options), user: user.name, answers: [answer]).status
  }

  @Test(arguments: ["secret=~/.google_authenticator", "secret=${HOME}/.google_authenticator"])
  func usersOwnFileInTheHomeIsAccepted(option: String) throws {
    try ThrowawayUser.with { user in
      try user.writeHomeFile(Self.fileName, token.fileText, mode: 0o400)
      let code = token.code(at: TOTPClock.freshStep(period: 30))
      #expect(try PAMSession.authenticate(.otp([option]), user: user.name, answers: [code]).status == .success)
    }
  }

  @Test func rewrittenFileStaysTheUsersWithItsMode() throws {
    var token = TestToken()
    token.hotpCounter = 1
    try ThrowawayUser.with { user in
      try user.writeHomeFile(Self.fileName, token.fileText, mode: 0o400)
      #expect(try authenticate(user, answer: token.code(counter: 1)) == .success)
      let text = try String(contentsOfFile: "\(user.home)/\(Self.fileName)", encoding: .utf8)
      #expect(text.contains("\" HOTP_COUNTER 2"))
      var info = stat()
      #expect(stat("\(user.home)/\(Self.fileName)", &info) == 0)
      #expect(info.st_uid == user.uid && info.st_gid == user.gid)
      #expect(info.st_mode & 0o7777 == 0o400)
    }
  }

  /// Rewritten with the user's identity, the new file cannot be given a
  /// group the user may not set (sshd runs with root's groups). The login
  /// must not fail for it: the file keeps its owner and takes the user's
  /// own group, without group permissions.
  @Test(arguments: [(mode_t(0o400), mode_t(0o400)), (mode_t(0o640), mode_t(0o600))])
  func aFileInAGroupTheUserMayNotSetIsStillUpdated(before: mode_t, after: mode_t) throws {
    var token = TestToken()
    token.hotpCounter = 1
    let users: gid_t = 100
    try ThrowawayUser.with { user in
      try #require(user.gid != users)
      try user.writeHomeFile(Self.fileName, token.fileText, mode: before, group: users)
      let options = ["no_increment_hotp"] + (before == 0o640 ? ["allowed_perm=0640"] : [])
      #expect(try authenticate(user, options: options, answer: token.code(counter: 1)) == .success)
      #expect(try authenticate(user, options: options, answer: token.code(counter: 1)) == .authError, "replayed")
      let text = try String(contentsOfFile: "\(user.home)/\(Self.fileName)", encoding: .utf8)
      #expect(text.contains("\" HOTP_COUNTER 2"))
      var info = stat()
      #expect(stat("\(user.home)/\(Self.fileName)", &info) == 0)
      #expect(info.st_uid == user.uid && info.st_gid == user.gid)
      #expect(info.st_mode & 0o7777 == after)
    }
  }

  @Test func fileOwnedByRootInTheUsersHomeIsRefused() throws {
    try ThrowawayUser.with { user in
      try user.writeHomeFile(Self.fileName, token.fileText, mode: 0o400, owner: 0)
      #expect(try authenticate(user, answer: token.code(at: TOTPClock.freshStep(period: 30))) == .authInfoUnavailable)
    }
  }

  /// Root could read a mode-0200 file; the user cannot. Refusal shows the
  /// module opened it as the user.
  @Test func fileTheUserCannotReadIsNotReadAsRoot() throws {
    try ThrowawayUser.with { user in
      try user.writeHomeFile(Self.fileName, token.fileText, mode: 0o200)
      #expect(try authenticate(user, answer: token.code(at: TOTPClock.freshStep(period: 30))) == .authInfoUnavailable)
    }
  }

  @Test func symlinkInTheHomeIsRefused() throws {
    let secrets = try SecretDirectory()
    try ThrowawayUser.with { user in
      try secrets.enrol(user.name, token, owner: user.uid, group: user.gid)
      let link = "\(user.home)/\(Self.fileName)"
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "\(secrets.path)/\(user.name)")
      #expect(try authenticate(user, answer: token.code(at: TOTPClock.freshStep(period: 30))) == .authInfoUnavailable)
    }
  }
}
