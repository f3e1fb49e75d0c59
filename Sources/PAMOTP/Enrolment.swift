import CPAM
import CShims

/// `enroll=first-login`: performs what `FirstLoginEnrolment` decides for a
/// user without a secret file — makes a secret, shows it (QR code, URI,
/// key, scratch codes), asks for a code from the app, and saves the secret
/// only once that code is right. A wrong code, a closed connection or a
/// timeout leave nothing behind.
///
/// In a `decoy` line everything is the same (a fresh secret, the same
/// messages, the write rehearsed), nothing is saved, and the login ends in
/// a refusal.
struct Enrolment {
  let pam: PAMHandle
  let options: ModuleOptions
  /// PAM_USER as the application gave it, for log lines.
  let user: [UInt8]
  /// The account's own name, which the app's label shows.
  let accountName: [UInt8]
  let store: SecretFileStore
  /// Why the secret could not be saved, for the log.
  private(set) var problem: StoreError?

  enum Result {
    case concluded(FirstLoginEnrolment.End)
    case conversationFailed(PAMHandle.ConversationFailure)
  }

  /// The enrolment this login offers a user without a secret file, if any.
  static func offered(pam: PAMHandle, options: ModuleOptions, user: [UInt8], found: SecretLookup.Found)
    -> Enrolment?
  {
    guard options.firstLogin.enabled, case .notEnrolled = found.standing, let store = found.store else {
      return nil
    }
    let name = found.accountName ?? user
    // PAM_SILENT: nothing could be shown, so nothing is offered.
    let decision: FirstLoginEnrolment.Decision =
      pam.isSilent
      ? .notOffered(reason: "PAM_SILENT")
      : FirstLoginEnrolment.decide(
        options, at: clock(), service: pam.item(PAM_SERVICE), requestingUser: pam.item(PAM_RUSER)
      ) { isMember(name, of: options.firstLogin.group, pam: pam, user: user) }
    if case .notOffered(let reason) = decision {
      if options.debug { pam.log(LOG_DEBUG, "\(LogFields.context(pam, user: user)) no enrolment: \(reason)") }
      return nil
    }
    return Enrolment(pam: pam, options: options, user: user, accountName: name, store: store, problem: nil)
  }

  mutating func run() -> Result {
    guard var file = newSecretFile() else { return .concluded(.notSaved) }
    let uri = FirstLoginEnrolment.uri(
      for: file, options: options.firstLogin, hostName: Self.hostName(), user: accountName
    ).text
    let messages = FirstLoginEnrolment.messages(
      qrLines: qrLines(uri), uri: uri, key: FirstLoginEnrolment.groupedKey(file.secret),
      scratchCodes: file.scratchCodes)
    for message in messages { pam.tell(message) }
    let prompt = LoginPolicy(options: options).prompt
    for attempt in 1...FirstLoginEnrolment.maximumAttempts {
      let answer: SensitiveBytes
      do throws(PAMHandle.ConversationFailure) {
        answer = try pam.ask(prompt, echo: options.echoCode)
      } catch {
        return .conversationFailed(error)
      }
      guard FirstLoginEnrolment.confirm(answer, file: &file, at: clock()) else {
        tell(.notConfirmed, attemptsLeft: FirstLoginEnrolment.maximumAttempts - attempt)
        continue
      }
      let end = save(file)
      // The decoy refuses in the end: it tells nothing meant for a user
      // who got in.
      if end != .saved || !options.decoy { tell(end, attemptsLeft: 0) }
      return .concluded(end)
    }
    return .concluded(.notConfirmed)
  }

  private mutating func save(_ file: SecretFile) -> FirstLoginEnrolment.End {
    do throws(StoreError) {
      return try store.createForEnrolment(file, commit: !options.decoy) ? .saved : .enrolledElsewhere
    } catch {
      problem = error
      return .notSaved
    }
  }

  private func tell(_ end: FirstLoginEnrolment.End, attemptsLeft: Int) {
    guard let text = FirstLoginEnrolment.notice(for: end, attemptsLeft: attemptsLeft) else { return }
    pam.tell(text, isError: end != .saved)
  }

  /// A random key (20 bytes, SHA1's output) and distinct scratch codes,
  /// from the kernel's CSPRNG.
  private mutating func newSecretFile() -> SecretFile? {
    do throws(SystemError) {
      var key = try SecureRandom.bytes(20)
      var codes: [UInt32] = []
      while codes.count < FirstLoginEnrolment.scratchCodeCount {
        let code = try SecureRandom.uniform(in: SecretFile.scratchCodeRange)
        if !codes.contains(code) { codes.append(code) }
      }
      return FirstLoginEnrolment.secretFile(key: SensitiveBytes(consuming: &key), scratchCodes: codes)
    } catch {
      problem = .system(path: "", error)
      return nil
    }
  }

  /// The QR code of `uri` in text, or nil (logged) when libqrencode cannot
  /// be loaded: it is loaded here, only when someone enrols.
  private func qrLines(_ uri: String) -> [String]? {
    var text = Array(uri.utf8)
    text.append(0)
    defer { SensitiveBytes.wipe(&text) }
    var modules = [UInt8](repeating: 0, count: 177 * 177)
    defer { SensitiveBytes.wipe(&modules) }
    var width: Int32 = 0
    let status = text.withUnsafeBufferPointer { cText in
      modules.withUnsafeMutableBufferPointer { buffer in
        cText.withMemoryRebound(to: CChar.self) {
          cshim_qr_encode($0.baseAddress.unsafelyUnwrapped, buffer.baseAddress.unsafelyUnwrapped, buffer.count, &width)
        }
      }
    }
    guard status == 0, width > 0 else {
      let why = status == CSHIM_QR_NO_LIBRARY ? "libqrencode.so.4 cannot be loaded" : "the URI is too long for a QR code"
      pam.log(LOG_WARNING, "\(LogFields.context(pam, user: user)) enrolment without a QR code: \(why)")
      return nil
    }
    return HalfBlockQR.lines(
      modules: Array(modules.prefix(Int(width) * Int(width))), width: Int(width),
      lightTerminal: options.firstLogin.lightTerminal)
  }

  /// Membership in `enroll_group`, primary or supplementary. A group that
  /// does not exist lets no one enrol, and is logged.
  private static func isMember(_ name: [UInt8], of group: [UInt8]?, pam: PAMHandle, user: [UInt8]) -> Bool {
    guard let group else { return true }
    guard let record = UserDatabase.lookup(name: name) else { return false }
    let status = withCString(name) { cName in
      withCString(group) { cGroup in cshim_user_in_group(cName, record.account.gid, cGroup) }
    }
    if status < 0 {
      pam.log(LOG_WARNING, "\(LogFields.context(pam, user: user)) enroll_group=\(LogFields.escape(group)) not found")
    }
    return status == 1
  }

  /// gethostname(2): the default issuer, as `otpctl enroll` uses it.
  static func hostName() -> [UInt8] {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return Array("localhost".utf8) }
    return buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
  }
}
