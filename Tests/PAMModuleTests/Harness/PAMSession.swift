import CPAM
import Foundation
import Testing

/// One PAM transaction of the real libpam: `pam_start_confdir` on a private
/// stack, items, `pam_authenticate`, `pam_end`. Every session has its own
/// service name, so log lines can be told apart.
final class PAMSession {
  let service: String
  let conversation: ScriptedConversation
  private let configuration: TemporaryDirectory
  private var handle: OpaquePointer?

  init(stack: PAMStack, user: String?, conversation: ScriptedConversation) throws {
    service = "pam_otp-test-" + UUID().uuidString.prefix(8).lowercased()
    self.conversation = conversation
    configuration = try TemporaryDirectory(prefix: "pam_otp-confdir")
    try stack.write(service: service, into: configuration)
    var conv = conversation.pamConv
    var started: OpaquePointer? = nil
    let status = pam_start_confdir(service, user, &conv, configuration.path, &started)
    try #require(PAMStatus(status) == .success, "pam_start_confdir failed")
    handle = started
  }

  deinit { end() }

  func authenticate(flags: Int32 = 0) -> PAMStatus {
    guard let handle else { return PAMStatus(PAM_SYSTEM_ERR) }
    return PAMStatus(pam_authenticate(handle, flags))
  }

  @discardableResult
  func setItem(_ type: Int32, _ value: String) -> PAMStatus {
    guard let handle else { return PAMStatus(PAM_SYSTEM_ERR) }
    return PAMStatus(value.withCString { pam_set_item(handle, type, $0) })
  }

  /// A string item, or nil when unset or not readable by the application.
  func item(_ type: Int32) -> String? {
    guard let handle else { return nil }
    var value: UnsafeRawPointer? = nil
    guard pam_get_item(handle, type, &value) == PAM_SUCCESS, let value else { return nil }
    return String(cString: value.assumingMemoryBound(to: CChar.self))
  }

  /// A variable of the PAM environment (pam_get_items.so exports items there).
  func environment(_ name: String) -> String? {
    guard let handle, let value = pam_getenv(handle, name) else { return nil }
    return String(cString: value)
  }

  /// Calls the module's `pam_sm_authenticate` directly on this session's
  /// handle, with any number of arguments: libpam itself cuts a stack line
  /// at 1,024 bytes, so a longer argument list can only be given this way.
  func callModuleDirectly(arguments: [String]) throws -> PAMStatus {
    let module = try #require(dlopen(try ModuleUnderTest.requirePath(), RTLD_NOW), "dlopen failed")
    defer { dlclose(module) }
    typealias Entry = @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32
    let symbol = try #require(dlsym(module, "pam_sm_authenticate"))
    let entry = unsafeBitCast(symbol, to: Entry.self)
    var copies = arguments.map { UnsafePointer<CChar>(strdup($0)) }
    defer { copies.forEach { free(UnsafeMutableRawPointer(mutating: $0)) } }
    return PAMStatus(copies.withUnsafeMutableBufferPointer { entry(handle, 0, Int32(arguments.count), $0.baseAddress) })
  }

  /// `pam_end`; libpam unloads (dlcloses) the modules here.
  func end(status: Int32 = PAM_SUCCESS) {
    guard let handle else { return }
    pam_end(handle, status)
    self.handle = nil
  }
}

/// What one authentication returned and what the user was shown.
struct AuthenticationResult {
  let status: PAMStatus
  let messages: [ScriptedConversation.Message]
  let service: String

  var prompts: [ScriptedConversation.Message] { messages.filter(\.isPrompt) }
  var promptTexts: [String] { prompts.map(\.text) }
}

extension PAMSession {
  /// The common case: start, set items, authenticate once, end.
  static func authenticate(
    _ stack: PAMStack, user: String, replies: [ScriptedConversation.Reply], items: [Int32: String] = [:],
    flags: Int32 = 0
  ) throws -> AuthenticationResult {
    let session = try PAMSession(stack: stack, user: user, conversation: ScriptedConversation(replies))
    for (type, value) in items { try #require(session.setItem(type, value) == .success, "pam_set_item \(type)") }
    let status = session.authenticate(flags: flags)
    session.end(status: status.raw)
    return AuthenticationResult(status: status, messages: session.conversation.messages, service: session.service)
  }

  /// Authenticates with `answers` typed at the prompts, in order.
  static func authenticate(
    _ stack: PAMStack, user: String, answers: [String] = [], items: [Int32: String] = [:], flags: Int32 = 0
  ) throws -> AuthenticationResult {
    try authenticate(stack, user: user, replies: answers.map { .answer($0) }, items: items, flags: flags)
  }
}
