import Foundation
import OTPCore
import OTPStore
import Testing

@Suite(.serialized)
struct UpdateTests {
  @Test func writesANewFileWithTheSameOwnerAndModeInPlaceOfTheOld() throws {
    let box = try Sandbox()
    let alice = try TestUser()
    try box.write("alice", hotpFileText, mode: 0o400, owner: alice.account.uid)
    let before = box.info("alice")
    let update = try box.store("alice", account: alice.account).update { file in
      file.mode = .hotp(nextCounter: 2)
    }
    #expect(update.isSaved && !update.unchanged)
    #expect(try box.read("alice") == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" HOTP_COUNTER 2\n")
    let after = box.info("alice")
    #expect(after.st_ino != before.st_ino)  // replaced, not rewritten in place
    #expect(after.st_uid == alice.account.uid)
    #expect(after.st_mode & 0o7777 == 0o400)
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["alice"])
  }

  @Test func leavesTheFileAloneWhenNothingChanged() throws {
    let box = try Sandbox()
    try box.write("alice", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq\n\" TOTP_AUTH\n")
    let before = box.info("alice")
    let update = try box.store("alice").update { _ in () }
    #expect(update.unchanged)
    #expect(box.info("alice").st_ino == before.st_ino)
  }

  @Test func concurrentUpdatesAreSerialised() async throws {
    let box = try Sandbox()
    try box.write("alice", hotpFileText)
    let store = box.store("alice")
    let updates = 32
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<updates {
        group.addTask {
          _ = try store.update { file in
            if case .hotp(let counter) = file.mode { file.mode = .hotp(nextCounter: counter + 1) }
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(try store.read().mode == .hotp(nextCounter: UInt64(1 + updates)))
  }

  /// Every update replaces the file, so a login that waited finds the file
  /// it locked replaced once for each login served before it, and opens the
  /// new one. Under 128 at once every one of them must be served: only time
  /// may end the wait, never a count of replacements.
  @Test func everyOneOfManySimultaneousUpdatesIsServed() throws {
    let box = try Sandbox()
    try box.write("alice", hotpFileText)
    let store = box.store("alice")
    let updates = 128
    let failures = Locked<[String]>([])
    let start = DispatchSemaphore(value: 0), finished = DispatchGroup()
    for _ in 0..<updates {
      finished.enter()
      Thread {
        start.wait()
        do {
          _ = try store.update { file in
            // Held long enough for all the others to queue on this file.
            usleep(2_000)
            if case .hotp(let counter) = file.mode { file.mode = .hotp(nextCounter: counter + 1) }
          }
        } catch {
          failures.modify { $0.append("\(error)") }
        }
        finished.leave()
      }.start()
    }
    for _ in 0..<updates { start.signal() }
    finished.wait()
    #expect(failures.value == [])
    #expect(try store.read().mode == .hotp(nextCounter: UInt64(1 + updates - failures.value.count)))
  }

  /// A crashed writer's stray is the real line's to clean up: the decoy's
  /// rehearsed write leaves the directory exactly as it found it.
  @Test func aRehearsedUpdateLeavesAStrayTemporaryFileAlone() throws {
    let box = try Sandbox()
    try box.write("alice", hotpFileText)
    try box.write(".alice.update~", "left by a crash\n")
    let update = try box.store("alice").update(commit: false) { file in file.mode = .hotp(nextCounter: 7) }
    #expect(update.writeError == nil)
    #expect(try box.read(".alice.update~") == "left by a crash\n")
    #expect(try box.read("alice") == hotpFileText)
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root).sorted() == [".alice.update~", "alice"])
    // The real update removes it.
    _ = try box.store("alice").update { file in file.mode = .hotp(nextCounter: 7) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: box.root) == ["alice"])
  }

  @Test func createRefusesToReplaceUnlessAsked() throws {
    let box = try Sandbox()
    try box.write("alice", totpFileText)
    let fresh = try parseFile(hotpFileText)
    do {
      try box.store("alice").create(fresh, owner: .root, mode: 0o600, replacing: false)
      Issue.record("replaced an existing file")
    } catch {
      guard case .alreadyExists = error else { Issue.record("got \(error)"); return }
    }
    #expect(try box.read("alice") == totpFileText)
    try box.store("alice").create(fresh, owner: .root, mode: 0o600, replacing: true)
    #expect(try box.read("alice") == hotpFileText)
  }

  @Test func createSetsOwnerAndMode() throws {
    let box = try Sandbox()
    let alice = try TestUser()
    try box.store("alice", account: alice.account).create(
      try parseFile(totpFileText), owner: alice.account, mode: 0o400, replacing: false)
    let info = box.info("alice")
    #expect(info.st_uid == alice.account.uid && info.st_mode & 0o7777 == 0o400)
  }

  @Test func removeDeletesTheFile() throws {
    let box = try Sandbox()
    try box.write("alice", totpFileText)
    try box.store("alice").remove()
    #expect(!FileManager.default.fileExists(atPath: box.path("alice")))
  }

  func parseFile(_ text: String) throws -> SecretFile {
    try SensitiveBytes(Array(text.utf8)).withUnsafeBytes { raw throws(SecretFileError) in try SecretFile(parsing: raw) }
  }
}
