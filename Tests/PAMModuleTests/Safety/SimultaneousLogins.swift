import Foundation

/// Many PAM transactions of the real libpam that authenticate at the same
/// moment. Each is started (pam_start_confdir, module loaded) on the test's
/// thread first, so the threads race only in pam_authenticate.
enum SimultaneousLogins {
  /// Sessions started and waiting to authenticate. Each thread gets its
  /// own session; no session is touched by two threads.
  final class Prepared: @unchecked Sendable {
    private let sessions: [PAMSession]

    fileprivate init(_ sessions: [PAMSession]) { self.sessions = sessions }

    /// All at once, one thread each; the results in the order of the answers.
    func authenticate() throws -> [AuthenticationResult] {
      let statuses = try StartingGate.run(threads: sessions.count) { index in self.sessions[index].authenticate() }
      return zip(sessions, statuses).map { session, status in
        session.end(status: status.raw)
        return AuthenticationResult(status: status, messages: session.conversation.messages, service: session.service)
      }
    }
  }

  /// One session per answer, for `user`, each to type its answer.
  static func prepare(_ stack: PAMStack, user: String, answers: [String]) throws -> Prepared {
    Prepared(try answers.map { try PAMSession(stack: stack, user: user, conversation: ScriptedConversation(answers: [$0])) })
  }

  /// Authenticates `user` once per answer, all at once.
  static func authenticate(_ stack: PAMStack, user: String, answers: [String]) throws -> [AuthenticationResult] {
    try prepare(stack, user: user, answers: answers).authenticate()
  }
}
