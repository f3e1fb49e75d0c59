import CPAM
import Foundation
import Testing

extension SyslogTests {
  /// Hostile files, answers, names, items and module arguments, through the
  /// real libpam: each row's PAM result and log reason (HostileCases.swift).
  /// The test process surviving every row is the "no crash": a trap in the
  /// module would take it down.
  struct HostileInputTests {
    @Test(arguments: HostileCase.all)
    func hostileInputGetsItsResultAndReason(_ row: HostileCase) throws {
      let scene = try HostileScene()
      let attempt = try row.arrange(scene)
      let before = scene.fileState()

      let sink = try SyslogSink()
      defer { sink.close() }
      let session = try PAMSession(
        stack: .otp(attempt.options), user: attempt.user, conversation: ScriptedConversation(attempt.replies))
      for (type, value) in attempt.items { try #require(session.setItem(type, value) == .success) }
      let status = session.authenticate()
      session.end(status: status.raw)
      let lines = try sink.lines(containing: session.service)

      #expect(status == row.expected)
      // One line says why. (A rejected module argument is logged without
      // the result=/reason= fields of the other decisions.)
      #expect(lines.filter { $0.contains(" result=") }.count <= 1, "\(lines)")
      #expect(lines.contains { $0.contains(row.reason) }, "\(lines)")
      #expect(session.conversation.promptTexts.filter { $0 == "Verification code: " }.count == row.codePrompts,
              "\(session.conversation.messages)")
      if status != .success && status != .authError {
        // A file the module refused to use, or a line it refused to run, is
        // left byte for byte as it was.
        #expect(scene.fileState() == before)
      }
    }
  }
}
