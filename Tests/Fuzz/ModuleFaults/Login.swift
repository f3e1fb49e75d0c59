import CModuleFaults
import CPAM
import Glibc

/// Everything one login needs: what libpam, the conversation, the clock
/// and the fault layer do. A replay is the same login with other parts.
struct LoginSetup {
  var arguments: [[UInt8]]
  var user: Scenario.UserItem
  var remoteHost: [UInt8]?
  var tty: [UInt8]?
  var service: [UInt8]?
  /// PAM_AUTHTOK as an earlier module left it, already worked out.
  var authenticationToken: [UInt8]?
  var flags: Int32
  var clockBase: Int64
  var clockSteps: [Int64]
  var replies: [Scenario.Reply]
  var messagesFail: Bool
  var resumes: Int
  var faults: [Scenario.Fault]
  var randomSeed: UInt64
  var deliveryHangs: Bool
}

/// What one login did.
struct LoginResult {
  /// What pam_otp's pam_sm_authenticate returned at its last call.
  var status: Int32
  var calls: UInt32
  /// Every prompt's answer, in order, as typed: a replay types them again.
  var typed: [Scenario.Reply]
  /// The codes answers took from the deliver= program (`sent`).
  var sentCodes: [[UInt8]]
  /// Prompts and messages shown, and the log lines written.
  var shown: [[UInt8]]
  var logLines: [[UInt8]]
  var clockReads: [Int64]
  var fired: [(kind: Int32, error: Int32)]
  var spawned: UInt32
  /// The file system identity the module left its thread with.
  var identityLeft: (uid: UInt32, gid: UInt32)
}

/// The application's side: a private stack (the trampoline module, which
/// calls pam_otp inside libpam's dispatch), the items, the conversation.
enum Login {
  static let loginPrompt = "faultfuzz login: "

  static func run(_ setup: LoginSetup, facts: SecretFacts?, sandbox: Sandbox) -> LoginResult {
    faults_reset(setup.randomSeed)
    for fault in setup.faults { faults_plan(fault.kind, fault.occurrence, fault.error, fault.sticky ? 1 : 0) }
    setup.clockSteps.withUnsafeBufferPointer { faults_clock(setup.clockBase, $0.baseAddress, $0.count) }
    faults_deliver_behaviour(setup.deliveryHangs ? Int32(DELIVER_HANGS.rawValue) : Int32(DELIVER_EXITS.rawValue))

    let conversation = Conversation(setup: setup, facts: facts, sandbox: sandbox)
    var conv = pam_conv(conv: conversationCallback, appdata_ptr: Unmanaged.passUnretained(conversation).toOpaque())
    var handle: OpaquePointer? = nil
    let user: [UInt8]? = if case .item(let name) = setup.user { name } else { nil }
    let started = withOptionalCString(user) { user in
      pam_start_confdir(Sandbox.service, user, &conv, sandbox.confdir, &handle)
    }
    guard started == PAM_SUCCESS, let handle else { fatal("pam_start_confdir failed (\(started))") }
    set(handle, PAM_USER_PROMPT, Array(loginPrompt.utf8))
    if let host = setup.remoteHost { set(handle, PAM_RHOST, host) }
    if let tty = setup.tty { set(handle, PAM_TTY, tty) }

    // Raw bytes: arguments need not be UTF-8.
    let arguments = setup.arguments.map { argument in withOptionalCString(argument) { strdup($0!) } }
    defer { arguments.forEach { free($0) } }
    let status = withOptionalCString(setup.authenticationToken) { token in
      withOptionalCString(setup.service) { service in
        var argv = arguments.map { UnsafePointer($0) }
        return argv.withUnsafeMutableBufferPointer { argv in
          faults_module_call(Int32(argv.count), argv.baseAddress, token, service)
          var status = pam_authenticate(handle, setup.flags)
          var resumes = setup.resumes
          while status == PAM_INCOMPLETE && resumes > 0 {
            resumes -= 1
            status = pam_authenticate(handle, setup.flags)
          }
          return status
        }
      }
    }
    pam_end(handle, status)
    faults_reap_children()
    guard faults_module_calls() > 0 else { fatal("libpam never called the module (pam_authenticate: \(status))") }

    var reads = [Int64](repeating: 0, count: 64)
    let readCount = faults_clock_reads(&reads, reads.count)
    var kinds = [Int32](repeating: 0, count: 64)
    var errors = [Int32](repeating: 0, count: 64)
    let firedCount = min(faults_fired(&kinds, &errors, 64), 64)
    var log = [CChar](repeating: 0, count: 16384)
    let logLength = faults_log(&log, log.count)
    let lines = log[0..<logLength].split(separator: 0).map { $0.map { UInt8(bitPattern: $0) } }
    var fsuid: UInt32 = 0
    var fsgid: UInt32 = 0
    faults_identity_left(&fsuid, &fsgid)
    return LoginResult(
      status: faults_module_status(), calls: faults_module_calls(), typed: conversation.typed,
      sentCodes: conversation.sentCodes,
      shown: conversation.shown, logLines: lines, clockReads: Array(reads.prefix(min(readCount, 64))),
      fired: (0..<firedCount).map { (kinds[$0], errors[$0]) }, spawned: faults_spawned(),
      identityLeft: (fsuid, fsgid))
  }

  private static func set(_ handle: OpaquePointer, _ item: Int32, _ value: [UInt8]) {
    _ = withOptionalCString(value) { pam_set_item(handle, item, $0) }
  }

  static func fatal(_ message: String) -> Never {
    fputs("module-faults: harness failure: \(message)\n", stderr)
    exit(2)
  }
}

/// Calls `body` with `bytes` as a NUL-terminated C string (or NULL).
func withOptionalCString<Result>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
  guard let bytes else { return body(nil) }
  let terminated = bytes.prefix { $0 != 0 } + [0]
  return terminated.withUnsafeBufferPointer { buffer in
    buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress) }
  }
}

/// Answers the module's prompts from the scenario, working out the codes
/// when each prompt comes (the clock may have moved), and records what it
/// typed and what it was shown.
final class Conversation {
  let setup: LoginSetup
  let facts: SecretFacts?
  let sandbox: Sandbox
  var next = 0
  var typed: [Scenario.Reply] = []
  var sentCodes: [[UInt8]] = []
  var shown: [[UInt8]] = []

  init(setup: LoginSetup, facts: SecretFacts?, sandbox: Sandbox) {
    self.setup = setup
    self.facts = facts
    self.sandbox = sandbox
  }

  enum Response {
    case text([UInt8]?)
    case status(Int32)
  }

  func respond(style: Int32, text: [UInt8]) -> Response {
    shown.append(text)
    guard style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON else {
      return setup.messagesFail ? .status(PAM_CONV_ERR) : .text(nil)
    }
    if text.elementsEqual(Login.loginPrompt.utf8) {
      guard case .asked(let name) = setup.user else { return .status(PAM_CONV_ERR) }
      return .text(name)
    }
    guard next < setup.replies.count else { return .status(PAM_CONV_ERR) }
    let reply = setup.replies[next]
    next += 1
    switch reply {
    case .answer(let answer):
      let sentCode = sandbox.lastSentCode()
      if let sentCode, answer.parts.contains(where: { if case .sent = $0 { true } else { false } }) {
        sentCodes.append(sentCode)
      }
      let bytes = Self.resolve(answer, facts: facts, time: faults_clock_now(), sentCode: sentCode)
      typed.append(.literal(bytes))
      return .text(bytes)
    case .literal(let bytes):
      typed.append(reply)
      return .text(bytes)
    case .noAnswer:
      typed.append(reply)
      return .text(nil)
    case .error: return .status(PAM_CONV_ERR)
    case .again: return .status(PAM_CONV_AGAIN)
    case .bufferError: return .status(PAM_BUF_ERR)
    case .noResponses: return .status(PAM_SUCCESS)
    }
  }

  /// The bytes an answer stands for, given the file, the time and the last
  /// sent code. A code the file cannot produce is typed as zeros.
  static func resolve(_ answer: Answer, facts: SecretFacts?, time: Int64, sentCode: [UInt8]?) -> [UInt8] {
    var bytes: [UInt8] = []
    let zeros = [UInt8](repeating: UInt8(ascii: "0"), count: facts?.digits ?? 6)
    for part in answer.parts {
      switch part {
      case .text(let text): bytes += text
      case .totp(let offset): bytes += facts?.totp(at: time, offset: offset) ?? zeros
      case .hotp(let offset):
        if let facts, case .hotp(let counter) = facts.mode {
          bytes += facts.hotp(counter: counter &+ offset)
        } else {
          bytes += zeros
        }
      case .scratch(let index):
        if let codes = facts?.scratchCodes, !codes.isEmpty {
          bytes += SecretFacts.decimal(UInt64(codes[index % codes.count]), width: 8)
        } else {
          bytes += Array("00000000".utf8)
        }
      case .sent: bytes += sentCode ?? zeros
      }
    }
    return Array(bytes.prefix { $0 != 0 })
  }
}

/// libpam's conversation function; replies are malloc'd, libpam frees them.
private let conversationCallback:
  @convention(c) (
    Int32, UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?, UnsafeMutableRawPointer?
  ) -> Int32 = { count, messages, responses, appdata in
    guard count > 0, let messages, let responses, let appdata else { return PAM_CONV_ERR }
    let conversation = Unmanaged<Conversation>.fromOpaque(appdata).takeUnretainedValue()
    responses.pointee = nil
    var answers: [[UInt8]?] = []
    for index in 0..<Int(count) {
      guard let message = messages[index] else { return PAM_CONV_ERR }
      let text = message.pointee.msg.map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
      switch conversation.respond(style: message.pointee.msg_style, text: text) {
      case .status(let status): return status
      case .text(let answer): answers.append(answer)
      }
    }
    guard let replies = calloc(Int(count), MemoryLayout<pam_response>.stride)?
      .bindMemory(to: pam_response.self, capacity: Int(count))
    else { return PAM_BUF_ERR }
    for (index, answer) in answers.enumerated() {
      replies[index].resp = answer.map { bytes in withOptionalCString(bytes) { strdup($0!) } }
      replies[index].resp_retcode = 0
    }
    responses.pointee = replies
    return PAM_SUCCESS
  }
