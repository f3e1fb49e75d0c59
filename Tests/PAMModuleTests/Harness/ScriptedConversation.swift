import CPAM
import Foundation

/// The application's side of the PAM conversation: records every message
/// the module sends (style and text) and answers prompts from a script.
/// Informational and error messages are recorded but consume no reply.
final class ScriptedConversation: @unchecked Sendable {
  enum Reply: Sendable {
    /// Types this text.
    case answer(String)
    /// Returns `PAM_CONV_AGAIN`: the application will resume later.
    case again
    /// Returns `PAM_CONV_ERR`.
    case fail
    /// Returns `PAM_SUCCESS` with no text for this prompt (a NULL `resp`).
    case noAnswer
    /// Returns `PAM_SUCCESS` with no responses at all (a NULL array).
    case noResponses
  }

  struct Message: Equatable, CustomStringConvertible, Sendable {
    let style: Int32
    let text: String

    var isPrompt: Bool { style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON }
    var description: String { "\(Self.styleName(style)) \"\(text)\"" }

    static func styleName(_ style: Int32) -> String {
      switch style {
      case PAM_PROMPT_ECHO_OFF: "ECHO_OFF"
      case PAM_PROMPT_ECHO_ON: "ECHO_ON"
      case PAM_ERROR_MSG: "ERROR_MSG"
      case PAM_TEXT_INFO: "TEXT_INFO"
      default: "style \(style)"
      }
    }
  }

  private let lock = NSLock()
  private var replies: [Reply]
  private var recorded: [Message] = []

  init(_ replies: [Reply] = []) {
    self.replies = replies
  }

  /// Convenience: each string is typed at one prompt.
  convenience init(answers: [String]) {
    self.init(answers.map { .answer($0) })
  }

  var messages: [Message] { lock.withLock { recorded } }
  var prompts: [Message] { messages.filter(\.isPrompt) }
  var promptTexts: [String] { prompts.map(\.text) }
  var unusedReplies: Int { lock.withLock { replies.count } }

  /// Adds replies, e.g. before resuming after `PAM_INCOMPLETE`.
  func append(_ more: [Reply]) { lock.withLock { replies += more } }

  /// The structure libpam copies at `pam_start`; `self` must outlive the handle.
  var pamConv: pam_conv {
    pam_conv(conv: scriptedConversationCallback, appdata_ptr: Unmanaged.passUnretained(self).toOpaque())
  }

  /// The answers for one call, or the PAM status to return instead. A
  /// prompt with no scripted reply left is a conversation error.
  fileprivate func respond(to incoming: [Message]) -> Result<[String?], ConversationStatus> {
    lock.withLock {
      recorded += incoming
      var answers: [String?] = []
      for message in incoming {
        guard message.isPrompt else {
          answers.append(nil)
          continue
        }
        guard !replies.isEmpty else { return .failure(ConversationStatus(PAM_CONV_ERR)) }
        switch replies.removeFirst() {
        case .answer(let text): answers.append(text)
        case .again: return .failure(ConversationStatus(PAM_CONV_AGAIN))
        case .fail: return .failure(ConversationStatus(PAM_CONV_ERR))
        case .noAnswer: answers.append(nil)
        case .noResponses: return .failure(ConversationStatus(PAM_SUCCESS))
        }
      }
      return .success(answers)
    }
  }
}

struct ConversationStatus: Error {
  let code: Int32
  init(_ code: Int32) { self.code = code }
}

/// libpam calls this with `appdata_ptr` = the ScriptedConversation. Replies
/// are allocated with malloc because libpam frees them.
private let scriptedConversationCallback:
  @convention(c) (
    Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
  ) -> Int32 = { count, messages, responses, appdata in
    guard count > 0, let messages, let responses, let appdata else { return PAM_CONV_ERR }
    let conversation = Unmanaged<ScriptedConversation>.fromOpaque(appdata).takeUnretainedValue()
    var incoming: [ScriptedConversation.Message] = []
    for index in 0..<Int(count) {
      guard let message = messages[index] else { return PAM_CONV_ERR }
      let text = message.pointee.msg.map { String(cString: $0) } ?? ""
      incoming.append(.init(style: message.pointee.msg_style, text: text))
    }
    switch conversation.respond(to: incoming) {
    case .failure(let status):
      responses.pointee = nil
      return status.code
    case .success(let answers):
      guard let replies = calloc(Int(count), MemoryLayout<pam_response>.stride)?
        .bindMemory(to: pam_response.self, capacity: Int(count))
      else { return PAM_BUF_ERR }
      for (index, answer) in answers.enumerated() {
        replies[index].resp = answer.map { strdup($0) }
        replies[index].resp_retcode = 0
      }
      responses.pointee = replies
      return PAM_SUCCESS
    }
  }
