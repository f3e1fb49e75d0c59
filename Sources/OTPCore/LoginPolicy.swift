/// The whole policy of one login, as values: what to do before the first
/// prompt, how to read an answer, what a judged answer leads to, and what
/// the user is told. The module performs what these decisions say (ask,
/// tell, send, write, log) and nothing else; time, the secret file and the
/// answer are parameters, read once per phase.
///
/// The `decoy` line takes the same decisions on the same file, with every
/// write and send discarded by the module, and refuses at the end: it cannot
/// drift from the real line because it is not a second implementation.
///
/// Alerts (`notify=`) are decided here too. The decoy raises none about the
/// user's state: its back-off, its success, its scratch code or its new host
/// never happened, and an alert about them would be false. It raises the one
/// about the file itself (`unusable`), which is as true for it as for the
/// real line, at the same point of the login.
public struct LoginPolicy {
  public let options: ModuleOptions

  public init(options: ModuleOptions) {
    self.options = options
  }

  /// The secret file as the login found it.
  public enum Standing {
    case enrolled(SecretFile)
    case notEnrolled
    /// No such account.
    case unknownUser
    /// A name that cannot be an account or part of a path.
    case invalidUserName
    /// A file that exists but cannot be trusted, read or parsed.
    case unusable
  }

  public enum Opening {
    /// Nothing is asked; the login ends here.
    case finish(Conclusion)
    /// Refused before any prompt (rate limit, back-off), saying why.
    case refuse(Notice, Conclusion)
    case converse(Conversation)
  }

  /// How the login talks to the user. Everything here but `sendsAtStart`,
  /// `fixedEnd` and `alerts` follows from the options alone, so the prompts
  /// cannot tell one user from another; those three change nothing that is
  /// shown.
  public struct Conversation: Equatable {
    public var prompt: [UInt8]
    public var echo: Bool
    public var firstPass: FirstPass
    /// An empty answer asks for a code by e-mail or SMS (`deliver=`).
    public var offersDelivery: Bool
    /// A user with a delivery address and no app is sent a code before the
    /// first prompt, without a word (the prompt is everyone's).
    public var sendsAtStart: Bool
    /// Not enrolled, unknown or unusable: every answer ends in this.
    public var fixedEnd: Conclusion?
    /// Raised before the first prompt (a secret file that cannot be used).
    public var alerts: [Alert] = []
  }

  /// `try_first_pass` and `use_first_pass`: the password an earlier module
  /// read may end in the code. Of both options, `try_first_pass` wins.
  public enum FirstPass: Equatable {
    case none
    /// Judge the earlier password; prompt if it held no code.
    case tryFirst
    /// Judge the earlier password; never prompt.
    case useOnly
  }

  public var firstPass: FirstPass {
    options.tryFirstPass ? .tryFirst : options.useFirstPass ? .useOnly : .none
  }

  public var prompt: [UInt8] {
    options.prompt ?? Array((options.forwardPass ? "Password & verification code: " : "Verification code: ").utf8)
  }

  /// The clock as the policy uses it: past the last time a file can hold
  /// (a hostile time source, thousands of years ahead) it stops there, so
  /// that no step, window or expiry can overflow. Before 1970 it is left
  /// as it is, and refused.
  static func bounded(_ now: Int64) -> Int64 { min(now, SecretFile.timeRange.upperBound) }

  /// Before the first prompt, from the file read without a lock.
  public func opening(_ standing: Standing, at now: Int64, remoteHost: [UInt8]?) -> Opening {
    let now = Self.bounded(now)
    var conversation = Conversation(
      prompt: prompt, echo: options.echoCode, firstPass: firstPass,
      offersDelivery: options.deliveryCommand != nil && !options.forwardPass, sendsAtStart: false, fixedEnd: nil)
    guard now >= 0 else {
      // A reset clock or a hostile time source: time-based state cannot be
      // judged or written. Asked as usual, then refused.
      conversation.fixedEnd = .clockBeforeEpoch
      return .converse(conversation)
    }
    switch standing {
    case .notEnrolled where options.nullOK:
      return .finish(.notEnrolled(ignored: true))
    case .notEnrolled:
      conversation.fixedEnd = .notEnrolled(ignored: false)
    case .unknownUser:
      conversation.fixedEnd = .unknownUser
    case .invalidUserName:
      conversation.fixedEnd = .invalidUserName
    case .unusable:
      conversation.fixedEnd = .unusableSecret
      // Raised by the decoy line too: the file is as unusable to it, and
      // both lines then start the same program at the same point.
      if notifies { conversation.alerts = [.unusable] }
    case .enrolled(let file):
      switch Verifier(token: file, settings: options.verificationSettings).admission(at: now, remoteHost: remoteHost) {
      case .withinGracePeriod: return .finish(.withinGracePeriod)
      case .backingOff(let until): return .refuse(.backingOff(seconds: until - now), .refused(.backingOff))
      case .rateLimited: return .refuse(.rateLimited, .refused(.rateLimited))
      case .prompt: break
      }
      conversation.sendsAtStart =
        conversation.offersDelivery && file.delivery != nil && !file.tokens.contains { $0.acceptsCodes }
    }
    return .converse(conversation)
  }

  /// What an answer at the prompt asks for.
  public enum Request {
    /// An empty answer: a code by e-mail or SMS.
    case code
    case judge(AnswerReadings)
  }

  public func request(for answer: SensitiveBytes, in conversation: Conversation) -> Request {
    if answer.isEmpty, conversation.offersDelivery { return .code }
    return .judge(options.forwardPass ? AnswerReadings(combined: answer) : AnswerReadings(code: answer))
  }

  /// Enough for a code, a request for a new one and two more tries.
  public static let maximumPrompts = 4

  /// An answer judged under the lock.
  public enum Judgement: Equatable {
    /// `backoffUntil`: when the back-off that the recorded failures now
    /// call for ends, if it lies ahead. `alerts`: what the answer raises
    /// once its state is saved. `token`: the name of the token whose code
    /// was accepted, where the user has several.
    case verdict(
      Verdict, codeLength: Int, earlierFailures: Int, backoffUntil: Int64?, at: Int64, alerts: [Alert] = [],
      token: [UInt8]? = nil)
    case clockBeforeEpoch
  }

  /// Whether this line tells a `notify=` program of events.
  var notifies: Bool { options.notifyCommand != nil }

  /// Judges `readings` against the locked file at `now`, recording in
  /// `file` what the answer used up (and, where alerts are sent, the remote
  /// host of a success).
  public func judge(_ readings: AnswerReadings, file: inout SecretFile, at now: Int64, remoteHost: [UInt8]?)
    -> Judgement
  {
    let now = Self.bounded(now)
    guard now >= 0 else { return .clockBeforeEpoch }
    let earlierFailures = file.failures?.count ?? 0
    let verifier = Verifier(token: file, settings: options.verificationSettings)
    var matched: Int? = nil
    let verdict = readings.withCandidates(lengths: verifier.codeLengths) { candidates in
      verifier.verify(readings: candidates, at: now, remoteHost: remoteHost, state: &file, matchedToken: &matched)
    }
    // Named for users with several tokens; a single one needs no name
    // (and its log line stays as it was before there were tokens).
    let token = matched.flatMap { file.tokens.count > 1 ? file.token(at: $0) : nil }
    let matchedDigits = matched.flatMap { file.token(at: $0)?.effectiveDigits } ?? file.effectiveDigits
    let codeLength = verdict == .accepted(.scratchCode) ? 8 : matchedDigits
    let backoffUntil = Verifier(token: file, settings: options.verificationSettings).backoffEnd(at: now)
      .flatMap { $0 > now ? $0 : nil }
    var hostCheck: SecretFile.HostCheck? = nil
    if notifies, verdict.isAccepted, let host = remoteHost { hostCheck = file.recordKnownHost(host) }
    let alerts =
      options.decoy || !notifies
      ? []
      : Self.alerts(
        verdict, earlierFailures: earlierFailures, backoffUntil: backoffUntil, hostCheck: hostCheck, file: file)
    return .verdict(
      verdict, codeLength: codeLength, earlierFailures: earlierFailures, backoffUntil: backoffUntil, at: now,
      alerts: alerts, token: token.map { Array($0.name.utf8) })
  }

  /// What a judged answer raises: a back-off it started, a success after
  /// wrong codes, a scratch code spent, a host not seen before.
  static func alerts(
    _ verdict: Verdict, earlierFailures: Int, backoffUntil: Int64?, hostCheck: SecretFile.HostCheck?,
    file: SecretFile
  ) -> [Alert] {
    switch verdict {
    case .accepted(let acceptance):
      var alerts: [Alert] = []
      if earlierFailures > 0 { alerts.append(.failures(count: earlierFailures)) }
      if acceptance == .scratchCode { alerts.append(.scratch(left: file.scratchCodes.count)) }
      if hostCheck == .new || hostCheck == .unrecordable { alerts.append(.newHost) }
      return alerts
    case .refused(.wrongCode), .refused(.replayedCode), .refused(.expiredCode):
      // Each wrong code from the threshold on starts a new, longer wait.
      guard let until = backoffUntil, let failures = file.failures else { return [] }
      return [.backoff(failures: failures.count, until: until)]
    case .refused: return []
    }
  }

  /// How writing the judged state back went.
  public enum WriteResult: Equatable {
    case saved
    /// Nothing changed, so nothing was written.
    case unchanged
    /// The file system refused: read-only, full, or over quota.
    case refusedByFileSystem
    /// Any other failure (permissions, I/O, a vanished directory).
    case failed
  }

  public enum Next: Equatable {
    /// `alerts`: what to tell the `notify=` program.
    case finish(Conclusion, notices: [Notice], alerts: [Alert] = [])
    /// `try_first_pass`: the earlier password held no code; ask.
    case prompt
  }

  /// What a judged answer leads to, once its state was (or was not) written.
  public func conclude(_ judgement: Judgement, write: WriteResult, fromEarlierPassword: Bool) -> Next {
    guard case .verdict(let verdict, _, let earlierFailures, let backoffUntil, let now, let alerts, let token) = judgement
    else {
      return .finish(.clockBeforeEpoch, notices: [])
    }
    switch write {
    case .saved, .unchanged: break
    case .refusedByFileSystem:
      // GA's `allow_readonly`, for the one kind of code that stays spent
      // without a record: a TOTP code expires with its step. A scratch,
      // HOTP or sent code that cannot be crossed off would work again.
      if options.allowReadonly, case .accepted(let acceptance) = verdict, acceptance.expiresByItself {
        // The login did succeed (after those wrong codes, from that host);
        // unsaved, the next success raises the same alerts again.
        return .finish(
          .accepted(acceptance, stateSaved: false, earlierFailures: earlierFailures, token: token), notices: [],
          alerts: alerts)
      }
      return .finish(.stateNotSaved, notices: [])
    case .failed:
      // Right and wrong codes end alike, so a broken disk tells no one
      // which code was right. Nothing was recorded: nothing to raise.
      return .finish(.stateNotSaved, notices: [])
    }
    switch verdict {
    case .accepted(let acceptance):
      // Someone who knows the password may be guessing codes between the
      // user's own logins: the user is the one who can tell.
      // The decoy refuses in the end, so it tells nothing meant for the user.
      let warning: [Notice] = earlierFailures > 0 && !options.decoy ? [.earlierFailures(earlierFailures)] : []
      return .finish(
        .accepted(acceptance, stateSaved: true, earlierFailures: earlierFailures, token: token), notices: warning,
        alerts: alerts)
    case .refused(let refusal):
      if fromEarlierPassword, firstPass == .tryFirst, refusal == .wrongCode || refusal == .malformedAnswer,
        backoffUntil == nil
      {
        return .prompt
      }
      return .finish(
        .refused(refusal), notices: Self.notices(for: refusal, backoffUntil: backoffUntil, at: now), alerts: alerts)
    }
  }

  /// Why an answer was refused, where the user can act on it: a code that
  /// was used, expired or came too often, or wrong codes that now call
  /// for a wait. A plain wrong code needs no words.
  static func notices(for refusal: Refusal, backoffUntil: Int64?, at now: Int64) -> [Notice] {
    switch refusal {
    case .replayedCode: return [.replayedCode]
    case .expiredCode: return [.expiredCode]
    case .rateLimited: return [.rateLimited]
    case .wrongCode, .backingOff:
      return backoffUntil.map { [.backingOff(seconds: $0 - now)] } ?? []
    case .malformedAnswer: return []
    }
  }

  /// A login with a fixed end (not enrolled, unknown, unusable) judges no
  /// answer, but goes where the real line goes after a wrong one.
  public func concludeWithoutJudging(_ end: Conclusion, fromEarlierPassword: Bool) -> Next {
    fromEarlierPassword && firstPass == .tryFirst ? .prompt : .finish(end, notices: [])
  }

  /// Under the lock: whether to send a code now, recording it if so.
  /// `requested`: the user asked (an empty answer); otherwise the login
  /// begins, and a code sent earlier that still works is asked for instead.
  public func send(
    file: inout SecretFile, requested: Bool, at now: Int64, code: [UInt8], salt: [UInt8]
  ) -> SendDecision {
    let now = Self.bounded(now)
    guard now >= 0 else { return .tooMany }
    let decision = file.sendDecision(at: now, settings: options.delivery, requested: requested)
    if decision == .send { file.recordSentCode(code, salt: salt, at: now, settings: options.delivery) }
    return decision
  }
}

/// How a login ended, before it becomes a PAM result.
public enum Conclusion: Equatable {
  /// `token`: the name of the token whose code was accepted, where the
  /// user has several (none for a scratch or sent code).
  case accepted(Acceptance, stateSaved: Bool, earlierFailures: Int, token: [UInt8]? = nil)
  case withinGracePeriod
  case refused(Refusal)
  /// No secret file. With `nullok` the module stands aside.
  case notEnrolled(ignored: Bool)
  case unknownUser
  case invalidUserName
  case unusableSecret
  /// The answer was judged but its state could not be written.
  case stateNotSaved
  case clockBeforeEpoch
  /// `enroll=first-login`: how setting up a secret at this login ended.
  case enrolment(FirstLoginEnrolment.End)
  /// `ldap=`: no server of the fleet's directory answered in time.
  case directoryUnavailable

  public var isSuccess: Bool {
    switch self {
    case .accepted, .withinGracePeriod, .enrolment(.saved): true
    default: false
    }
  }
}

extension Acceptance {
  /// A TOTP step cannot come back once the clock has passed it.
  var expiresByItself: Bool {
    switch self {
    case .totp, .skewAdjusted: true
    case .hotp, .scratchCode, .sentCode: false
    }
  }
}

/// What the user is told, besides the prompt.
public enum Notice: Equatable {
  case backingOff(seconds: Int64)
  case rateLimited
  /// After an empty answer: the same words for every user, so they tell no
  /// one whether there is an address, or whether the code went out.
  case codeRequested
  case replayedCode
  case expiredCode
  case earlierFailures(Int)

  public var text: String {
    switch self {
    case .backingOff(let seconds):
      "Too many wrong codes; try again in \(seconds) second\(seconds == 1 ? "" : "s")."
    case .rateLimited: "Too many verification attempts; try again later."
    case .codeRequested: "If you have a delivery address, a code is on its way to it."
    case .replayedCode: "That code was already used; wait for the next one."
    case .expiredCode: "That code has expired; press Enter at the prompt for a new one."
    case .earlierFailures(let count):
      "Warning: \(count) wrong verification code\(count == 1 ? " was" : "s were") entered since your last login."
    }
  }

  public var isError: Bool {
    switch self {
    case .backingOff, .rateLimited, .replayedCode, .expiredCode: true
    case .codeRequested, .earlierFailures: false
    }
  }
}
