import CCrypto
import CPAM
import CShims

/// The calls into libpam that the module makes: the user, items, the
/// conversation, syslog. Nothing here decides anything.
struct PAMHandle {
  let raw: OpaquePointer
  /// `PAM_SILENT`: no informational or error messages to the user.
  let isSilent: Bool

  init(_ raw: OpaquePointer, flags: Int32) {
    self.raw = raw
    self.isSilent = flags & Int32(bitPattern: PAM_SILENT) != 0
  }

  enum ConversationFailure: Error {
    /// The application will call again (`PAM_CONV_AGAIN`).
    case again
    case failed(Int32)
  }

  func user() throws(ConversationFailure) -> [UInt8] {
    var name: UnsafePointer<CChar>? = nil
    let status = pam_get_user(raw, &name, nil)
    if status == PAM_CONV_AGAIN { throw .again }
    guard status == PAM_SUCCESS, let name else { throw .failed(status) }
    return Self.bytes(of: name)
  }

  func item(_ type: Int32) -> [UInt8]? {
    var value: UnsafePointer<CChar>? = nil
    guard cpam_get_string_item(raw, type, &value) == PAM_SUCCESS, let value else { return nil }
    return Self.bytes(of: value, limit: 1024)
  }

  /// The password an earlier module stored, for `try_first_pass`.
  func authenticationToken() -> SensitiveBytes? {
    var value: UnsafePointer<CChar>? = nil
    guard cpam_get_string_item(raw, PAM_AUTHTOK, &value) == PAM_SUCCESS, let value else { return nil }
    let length = strnlen(value, 4096)
    return SensitiveBytes(copying: UnsafeRawBufferPointer(start: value, count: length))
  }

  /// Hands the password part of a `forward_pass` answer to later modules.
  func setAuthenticationToken(_ password: SensitiveBytes) -> Bool {
    var terminated = password.copyBytes()
    terminated.append(0)
    defer { SensitiveBytes.wipe(&terminated) }
    let status = terminated.withUnsafeBytes { bytes in
      cpam_set_string_item(raw, PAM_AUTHTOK, bytes.bindMemory(to: CChar.self).baseAddress)
    }
    return status == PAM_SUCCESS
  }

  /// Asks one question. The application's reply buffer is wiped and freed
  /// here; the caller gets a copy that wipes itself.
  func ask(_ prompt: [UInt8], echo: Bool) throws(ConversationFailure) -> SensitiveBytes {
    var response: UnsafeMutablePointer<CChar>? = nil
    let style = echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF
    let status = withCString(prompt) { cpam_prompt(raw, style, &response, $0) }
    defer {
      if let response {
        ccrypto_cleanse(response, strlen(response))
        free(response)
      }
    }
    if status == PAM_CONV_AGAIN { throw .again }
    guard status == PAM_SUCCESS else { throw .failed(status) }
    guard let response else { return SensitiveBytes([]) }
    // Longer answers are no code; keep a bounded copy and let the policy refuse it.
    let length = strnlen(response, 4096)
    return SensitiveBytes(copying: UnsafeRawBufferPointer(start: response, count: length))
  }

  /// Tells the user something, unless the application asked for silence.
  func tell(_ message: String, isError: Bool = false) {
    guard !isSilent else { return }
    var response: UnsafeMutablePointer<CChar>? = nil
    _ = withCString(Array(message.utf8)) {
      cpam_prompt(raw, isError ? PAM_ERROR_MSG : PAM_TEXT_INFO, &response, $0)
    }
    if let response { free(response) }
  }

  /// One line to syslog (authpriv), through libpam so that the host's own
  /// syslog identity is left alone.
  func log(_ priority: Int32, _ message: String) {
    withCString(Array(message.utf8)) { cpam_syslog(raw, priority, $0) }
  }

  static func bytes(of text: UnsafePointer<CChar>, limit: Int = 4096) -> [UInt8] {
    let length = strnlen(text, limit)
    return text.withMemoryRebound(to: UInt8.self, capacity: length) {
      Array(UnsafeBufferPointer(start: $0, count: length))
    }
  }
}
