import Foundation
import OTPCore
import OTPStore
import Testing

/// The write of an enrolment at the first login: created only where no file
/// is, as `otpctl enroll` writes it; rehearsed for the decoy.
@Suite(.serialized)
struct EnrolmentWriteTests {
  func newFile() -> SecretFile {
    FirstLoginEnrolment.secretFile(key: SensitiveBytes(Array("12345678901234567890".utf8)), scratchCodes: [12_345_678])
  }

  @Test func createsARootFileInARootDirectory() throws {
    let box = try Sandbox()
    #expect(try box.store("alice").createForEnrolment(newFile(), commit: true))
    let info = box.info("alice")
    #expect(info.st_uid == 0 && info.st_gid == 0 && info.st_mode & 0o7777 == 0o600)
    #expect(try box.store("alice").read().secret.copyBytes() == Array("12345678901234567890".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["alice"])
  }

  @Test func neverReplacesAFileThatIsThereAlready() throws {
    let box = try Sandbox()
    try box.write("alice", totpFileText)
    #expect(try !box.store("alice").createForEnrolment(newFile(), commit: true))
    #expect(try box.read("alice") == totpFileText)
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["alice"])
  }

  @Test func ofManyConcurrentEnrolmentsExactlyOneCreates() async throws {
    let box = try Sandbox()
    let store = box.store("alice")
    let created = try await withThrowingTaskGroup(of: Bool.self) { group in
      for _ in 0..<16 { group.addTask { try store.createForEnrolment(newFile(), commit: true) } }
      return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(created == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["alice"])
  }

  @Test func aRehearsalLeavesNothingAndSeesAFileInTheWay() throws {
    let box = try Sandbox()
    #expect(try box.store("alice").createForEnrolment(newFile(), commit: false))
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == [])
    try box.write("alice", totpFileText)
    #expect(try !box.store("alice").createForEnrolment(newFile(), commit: false))
    #expect(try box.read("alice") == totpFileText)
  }

  @Test func inAUsersOwnDirectoryTheFileIsTheirsAndReadOnly() throws {
    let box = try Sandbox()
    let alice = try TestUser()
    _ = try box.mkdir("home", owner: alice.account.uid)
    #expect(try box.store("home/.google_authenticator", account: alice.account).createForEnrolment(newFile(), commit: true))
    let info = box.info("home/.google_authenticator")
    #expect(info.st_uid == alice.account.uid && info.st_mode & 0o7777 == 0o400)
  }
}
