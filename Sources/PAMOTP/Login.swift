import CPAM
import CShims

/// One call of `pam_sm_authenticate`: performs what `LoginPolicy` decides —
/// asks, tells, sends, writes, logs — and decides nothing itself.
///
/// Two phases keep the lock away from the user: before the prompt the
/// secret file is only read; after the answer it is locked, read again,
/// judged and written back before anything is returned, so no one typing
/// slowly holds up another login.
///
/// In a `decoy` line every write is rehearsed (the same lock, judgement and
/// synced temporary file, then dropped), no delivery program is started (and
/// only the alerts the policy raises for it), and the end is a refusal: what
/// the user sees, and how long it takes, is what the real line shows after a
/// wrong code.
struct Login {
  let pam: PAMHandle
  let options: ModuleOptions
  let policy: LoginPolicy
  let user: [UInt8]
  let found: SecretLookup.Found
  /// Set once a prompt was shown, for the decoy's log line.
  private var prompted = false
  /// The error behind an unusable secret or an unsaved state, for the log.
  private var problem: StoreError?
  private var delivery: CodeDelivery
  private let alerting: Alerting
  /// The time of the policy's last decision, which an alert reports.
  private var decidedAt: Int64 = 0

  static func run(_ pam: PAMHandle, arguments: ModuleArguments) -> Outcome {
    let options: ModuleOptions
    do throws(ModuleOptions.ParseError) {
      guard !arguments.wereCut else {
        // An option past the limit would be dropped: fail closed instead.
        return logged(.badConfiguration(reason: "more than \(ModuleArguments.limit) module arguments"), pam, nil)
      }
      options = try ModuleOptions.parse(arguments.values)
    } catch {
      return logged(.badConfiguration(reason: error.description), pam, pam.item(PAM_USER))
    }
    let user: [UInt8]
    do throws(PAMHandle.ConversationFailure) {
      user = try pam.user()
    } catch {
      let outcome = Outcome.conversationFailed(error)
      pam.log(outcome.logPriority, "cannot get the user name: \(outcome.logText)")
      return outcome
    }
    let found: SecretLookup.Found
    var fleet: FleetLogin? = nil
    if let path = options.ldapConfiguration {
      // The fleet store: tokens and state in the directory (FleetLogin).
      switch FleetLogin.start(pam, options: options, path: path, user: user) {
      case .fleet(let opened, let standing):
        fleet = opened
        found = .without(standing)
      case .local(let result): found = result
      case .end(let outcome): return logged(outcome, pam, user)
      }
    } else {
      switch SecretLookup(options: options, user: user).find() {
      case .found(let result): found = result
      case .badConfiguration(let reason): return logged(.badConfiguration(reason: reason), pam, user)
      }
    }
    var login = Login(pam: pam, options: options, user: user, found: found)
    login.fleet = fleet
    return logged(login.authenticate(), pam, user)
  }

  /// `ldap=`: the directory that holds the tokens instead of a file.
  private var fleet: FleetLogin? = nil

  private init(pam: PAMHandle, options: ModuleOptions, user: [UInt8], found: SecretLookup.Found) {
    self.pam = pam
    self.options = options
    self.policy = LoginPolicy(options: options)
    self.user = user
    self.found = found
    self.problem = found.problem
    self.delivery = CodeDelivery(pam: pam, options: options, user: user)
    self.alerting = Alerting(pam: pam, options: options, user: user, account: found.accountName ?? user)
  }

  private mutating func authenticate() -> Outcome {
    if options.debug { logDebug() }
    decidedAt = clock()
    // enroll=first-login: a user without a secret file may set one up
    // here, where FirstLoginEnrolment allows it (Enrolment.swift).
    if var enrolment = Enrolment.offered(pam: pam, options: options, user: user, found: found) {
      switch enrolment.run() {
      case .concluded(let ending):
        prompted = true
        problem = enrolment.problem
        decidedAt = clock()
        raise(FirstLoginEnrolment.alerts(for: ending, options: options))
        return end(.enrolment(ending))
      case .conversationFailed(let failure):
        return .conversationFailed(failure)
      }
    }
    switch policy.opening(found.standing, at: decidedAt, remoteHost: remoteHost) {
    case .finish(let conclusion):
      return end(conclusion)
    case .refuse(let notice, let conclusion):
      refuse(with: notice)
      return end(conclusion)
    case .converse(let conversation):
      let outcome = converse(conversation)
      // Nothing started for this login outlives it.
      delivery.stop()
      return outcome
    }
  }

  private mutating func converse(_ conversation: LoginPolicy.Conversation) -> Outcome {
    raise(conversation.alerts)
    if conversation.sendsAtStart { sendCode(requested: false) }
    if conversation.firstPass != .none {
      if let earlier = pam.authenticationToken() {
        switch judge(AnswerReadings(combined: earlier), conversation, fromEarlierPassword: true) {
        case .finish(let conclusion, let notices, let alerts):
          tell(notices)
          raise(alerts)
          return end(conclusion)
        case .prompt: break
        }
      } else if conversation.firstPass == .useOnly {
        return end(conversation.fixedEnd ?? .refused(.malformedAnswer))
      }
    }
    var notices: [Notice] = []
    for _ in 0..<LoginPolicy.maximumPrompts {
      tell(notices)
      let answer: SensitiveBytes
      do throws(PAMHandle.ConversationFailure) {
        answer = try pam.ask(conversation.prompt, echo: conversation.echo)
      } catch {
        return .conversationFailed(error)
      }
      prompted = true
      delivery.poll()
      switch policy.request(for: answer, in: conversation) {
      case .code:
        sendCode(requested: true)
        notices = [.codeRequested]
      case .judge(let readings):
        switch judge(readings, conversation, fromEarlierPassword: false) {
        case .finish(let conclusion, let notices, let alerts):
          tell(notices)
          raise(alerts)
          return end(conclusion)
        case .prompt:
          notices = []
        }
      }
    }
    return end(conversation.fixedEnd ?? .refused(.malformedAnswer))
  }

  /// Phase two: lock, read again, judge, write back (or rehearse), unlock.
  private mutating func judge(
    _ readings: AnswerReadings, _ conversation: LoginPolicy.Conversation, fromEarlierPassword: Bool
  ) -> LoginPolicy.Next {
    if let fixedEnd = conversation.fixedEnd {
      return policy.concludeWithoutJudging(fixedEnd, fromEarlierPassword: fromEarlierPassword)
    }
    if var fleet {
      let copy = FleetLocalCopy(options: options, user: user)
      let judged = fleet.judge(readings, policy: policy, commit: !options.decoy, localCopy: copy.read())
      self.fleet = fleet
      switch judged {
      case .judged(let judgement):
        if case .verdict(_, _, _, _, let now, _, _) = judgement { decidedAt = now }
        if let (token, claim) = fleet.accepted { copy.save(token, claim, pam: pam) }
        return policy.conclude(judgement, write: .saved, fromEarlierPassword: fromEarlierPassword)
      case .notEnrolled: return .finish(.notEnrolled(ignored: false), notices: [])
      case .unusable(let reason), .unavailableBecause(let reason):
        pam.log(LOG_ERR, "\(LogFields.context(pam, user: user)) directory: \(reason)")
        return .finish(.directoryUnavailable, notices: [])
      }
    }
    guard let store = found.store else { return .finish(.unusableSecret, notices: []) }
    let policy = self.policy
    let host = remoteHost
    let update: SecretFileStore.Update<LoginPolicy.Judgement>
    do throws(StoreError) {
      update = try store.update(from: found.snapshot, commit: !options.decoy) { file in
        // The time is read under the lock: logins judged one after another
        // then see time move forward, never back.
        policy.judge(readings, file: &file, at: clock(), remoteHost: host)
      }
    } catch {
      if case .notFound = error { return .finish(.notEnrolled(ignored: false), notices: []) }
      problem = error
      return .finish(.unusableSecret, notices: [])
    }
    if case .verdict(_, _, _, _, let now, _, _) = update.result { decidedAt = now }
    let next = policy.conclude(update.result, write: update.writeResult, fromEarlierPassword: fromEarlierPassword)
    if let error = update.writeError {
      if case .finish(.accepted, _, _) = next {
        pam.log(LOG_WARNING, "\(LogFields.context(pam, user: user)) state not saved: \(error.description)")
      } else {
        problem = error
      }
    }
    if case .finish(.accepted, _, _) = next, readings.isCombined, !options.decoy,
      case .verdict(_, let codeLength, _, _, _, _, _) = update.result,
      let password = readings.password(codeLength: codeLength)
    {
      // forward_pass and try_first_pass: the password part goes on to the
      // next module.
      guard pam.setAuthenticationToken(password) else {
        return .finish(.stateNotSaved, notices: [])
      }
    }
    return next
  }

  private mutating func sendCode(requested: Bool) {
    guard let store = found.store, case .enrolled(let file) = found.standing, file.delivery != nil else {
      // No address: nothing to send, and the same words as for anyone.
      return
    }
    delivery.send(requested: requested, store: store, snapshot: found.snapshot, policy: policy, digits: file.effectiveDigits)
  }

  /// Starts the `notify=` program for what the policy raised.
  private func raise(_ alerts: [Alert]) {
    guard !alerts.isEmpty else { return }
    var address: DeliveryAddress? = nil
    if case .enrolled(let file) = found.standing { address = file.delivery }
    alerting.raise(alerts, at: decidedAt, delivery: address, problem: found.problem)
  }

  /// Refused before any prompt: the reason goes with the refusal.
  private func refuse(with notice: Notice) {
    pam.tell(notice.text, isError: notice.isError)
  }

  private func tell(_ notices: [Notice]) {
    for notice in notices { pam.tell(notice.text, isError: notice.isError) }
  }

  private func end(_ conclusion: Conclusion) -> Outcome {
    options.decoy ? .decoy(wouldHave: conclusion, problem: problem, prompted: prompted) : .decided(conclusion, problem: problem)
  }

  private var remoteHost: [UInt8]? { pam.item(PAM_RHOST) }

  private func logDebug() {
    var line = "\(LogFields.context(pam, user: user)) version=\(PAMOTPVersion.text)"
    if let name = found.accountName, name != user { line += " account=\(LogFields.escape(name))" }
    if let store = found.store { line += " secret=\(store.location.pathText)" }
    pam.log(LOG_DEBUG, line)
  }

  private static func logged(_ outcome: Outcome, _ pam: PAMHandle, _ user: [UInt8]?) -> Outcome {
    pam.log(outcome.logPriority, "\(LogFields.context(pam, user: user)) \(outcome.logText)")
    return outcome
  }
}

/// The wall clock, read once per phase.
func clock() -> Int64 { Int64(cshim_realtime_seconds()) }
