import CPAM
import Testing

/// The suites that read the module's syslog lines. They bind /dev/log in
/// turn, never two at once; lines are told apart by each session's unique
/// service name, so other suites running meanwhile do not disturb them.
@Suite(.serialized) struct SyslogTests {}

/// One authentication observed through syslog.
struct LoggedAuthentication {
  let result: AuthenticationResult
  let lines: [SyslogLine]

  /// Runs one authentication with a sink at /dev/log and collects every
  /// line logged for its session.
  static func run(
    _ stack: PAMStack, user: String = "nobody", replies: [ScriptedConversation.Reply], items: [Int32: String] = [:],
    flags: Int32 = 0
  ) throws -> LoggedAuthentication {
    let sink = try SyslogSink()
    defer { sink.close() }
    let result = try PAMSession.authenticate(stack, user: user, replies: replies, items: items, flags: flags)
    return LoggedAuthentication(result: result, lines: try sink.lines(containing: result.service))
  }

  static func run(_ stack: PAMStack, user: String = "nobody", answers: [String], items: [Int32: String] = [:])
    throws -> LoggedAuthentication
  {
    try run(stack, user: user, replies: answers.map { .answer($0) }, items: items)
  }

  /// The text of the session's one line, after libpam's `module(service:auth): ` prefix.
  func onlyMessage() throws -> String {
    try #require(lines.count == 1, "expected one line, got \(lines)")
    return try #require(lines[0].message)
  }

  /// The one decision line (`... result=...`). libpam may add lines of its
  /// own under the module's name, e.g. "conversation failed" from pam_prompt.
  func decision() throws -> SyslogLine {
    let decisions = lines.filter { $0.message?.contains(" result=") == true }
    try #require(decisions.count == 1, "expected one decision line, got \(lines)")
    return decisions[0]
  }
}

extension SyslogLine {
  /// The module's own text, after libpam's `name(service:auth): ` prefix.
  var message: String? {
    guard let range = raw.range(of: ":auth): ") else { return nil }
    return String(raw[range.upperBound...])
  }
}
