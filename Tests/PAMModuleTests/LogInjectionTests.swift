import Foundation
import Testing

extension SyslogTests {
  /// Bytes that reach a log line from outside — here a home directory, and
  /// so the secret file's path inside an error's reason — are escaped like
  /// the client's own fields: no forged field, no line break of any kind.
  struct LogInjectionTests {
    @Test func aHostilePathInAReasonCannotForgeAFieldOrALine() throws {
      let name = "pamotp" + UUID().uuidString.prefix(8).lowercased()
      // A space, a forged field, U+2028 (a line break to many log viewers)
      // and a quote that would close reason="…".
      let home = "/tmp/\(name) result=success\u{2028}\"x"
      try Shell.check("/usr/sbin/useradd", ["--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", name])
      defer {
        _ = try? Shell.run("/usr/sbin/userdel", ["--force", name])
        try? FileManager.default.removeItem(atPath: home)
      }
      let entry = try #require(getpwnam(name))
      try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
      try #require(chown(home, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0)
      // An unusable file, so that the reason names its path.
      try FileManager.default.createSymbolicLink(atPath: "\(home)/.google_authenticator", withDestinationPath: "/etc/passwd")

      let logged = try LoggedAuthentication.run(.otp(["secret=~/.google_authenticator"]), user: name, answers: ["000000"])
      #expect(logged.result.status == .authInfoUnavailable)
      let line = try #require(try logged.decision().raw)
      #expect(line.components(separatedBy: "result=").count == 2, "one result= field only: \(line)")
      #expect(!line.unicodeScalars.contains { $0.value >= 0x7F || $0.value < 0x20 }, "only printable ASCII: \(line)")
      #expect(line.contains("%20result%3Dsuccess%E2%80%A8%22x/.google_authenticator"), "\(line)")
      #expect(line.hasSuffix("is a symbolic link\""), "the quotes close where the module closed them: \(line)")
    }
  }
}
