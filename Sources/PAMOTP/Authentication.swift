import CPAM
import CShims

/// One call of `pam_sm_authenticate`.
///
/// Two phases keep the lock away from the user: before the prompt the
/// secret file is only read (grace period, rate limit, back-off); after the
/// answer it is locked, read again, judged and written back before anything
/// is returned. No one typing slowly can hold up another login.
///
/// The `decoy` line runs this same flow with every write and every send
/// left out, and refuses at the end: whatever the real line would show
/// before and during its prompts, the decoy shows too.
struct Authentication {
  let pam: PAMHandle
  let options: ModuleOptions
  let user: [UInt8]

  static func run(_ pam: PAMHandle, arguments: [[UInt8]]) -> Outcome {
    let options: ModuleOptions
    do throws(ModuleOptions.ParseError) {
      options = try ModuleOptions.parse(arguments)
    } catch {
      let outcome = Outcome.badConfiguration(reason: error.description)
      pam.log(outcome.logPriority, "\(LogFields.context(pam, user: pam.item(PAM_USER))) \(outcome.logText)")
      return outcome
    }
    let user: [UInt8]
    do throws(PAMHandle.ConversationFailure) {
      user = try pam.user()
    } catch {
      let outcome = Outcome.conversationFailed(error)
      pam.log(outcome.logPriority, "cannot get the user name: \(outcome.logText)")
      return outcome
    }
    let authentication = Authentication(pam: pam, options: options, user: user)
    let outcome = authentication.authenticate()
    authentication.log(outcome)
    return outcome
  }

  private func authenticate() -> Outcome {
    let store: SecretFileStore
    let snapshot: SecretFileStore.Snapshot
    switch readSecret() {
    case .read(let located, let read):
      store = located
      snapshot = read
    case .outcome(let outcome): return outcome
    }
    let token = snapshot.file
    if options.debug { pam.log(LOG_DEBUG, "\(context) secret=\(store.location.pathText)") }

    switch Verifier(token: token, settings: options.verificationSettings).admission(at: now(), remoteHost: remoteHost) {
    case .withinGracePeriod: return refusal(.withinGracePeriod)
    case .rateLimited, .backingOff: return refuseBeforePrompt(token: token)
    case .prompt: break
    }

    // try_first_pass / use_first_pass: the password an earlier module read
    // may carry the code at its end.
    if options.useFirstPass || options.tryFirstPass {
      if let earlier = pam.authenticationToken() {
        let outcome = verify(AnswerReadings(combined: earlier), store: store, snapshot: snapshot)
        guard options.tryFirstPass, outcome.mayPromptAfterFirstPass else { return outcome }
      } else if options.useFirstPass {
        return .refused(.malformedAnswer)
      }
    }
    return promptAndVerify(snapshot: snapshot, store: store)
  }

  /// The prompts. With a delivery address (and `deliver=`), a user without
  /// an app is sent a code first; a user with one is offered a code by
  /// e-mail or SMS instead; an empty answer asks for a new code.
  private func promptAndVerify(snapshot: SecretFileStore.Snapshot, store: SecretFileStore) -> Outcome {
    let token = snapshot.file
    let delivery = options.deliveryCommand == nil ? nil : token.delivery
    var sender = delivery.map { CodeSender(authentication: self, store: store, address: $0, digits: token.effectiveDigits) }
    var prompt = promptText
    if let address = delivery {
      if token.mode == .scratchCodesOnly {
        switch sender?.send(requested: false) {
        case .failure(let outcome)?: return outcome
        default: prompt = Array("Code sent \(address.channel.phrase) to \(address.masked): ".utf8)
        }
      } else {
        prompt = Array("Verification code (or press Enter for one \(address.channel.phrase) to \(address.masked)): ".utf8)
      }
    }
    for _ in 0..<Self.maximumPrompts {
      let answer: SensitiveBytes
      do throws(PAMHandle.ConversationFailure) {
        answer = try pam.ask(prompt, echo: options.echoCode)
      } catch {
        return .conversationFailed(error)
      }
      guard answer.isEmpty, let address = delivery, !options.forwardPass else {
        let readings = options.forwardPass ? AnswerReadings(combined: answer) : AnswerReadings(code: answer)
        return verify(readings, store: store, snapshot: snapshot)
      }
      switch sender?.send(requested: true) {
      case .failure(let outcome)?: return outcome
      case .tooSoon(let seconds)?:
        pam.tell("A code was sent moments ago; you can ask for a new one in \(seconds) second\(seconds == 1 ? "" : "s").")
      default: break
      }
      prompt = Array("Code sent \(address.channel.phrase) to \(address.masked): ".utf8)
    }
    return .refused(.malformedAnswer)
  }

  /// Enough for a code, a request for a new one and two more tries.
  static let maximumPrompts = 4

  /// Phase two: lock, read again, judge, write back, unlock.
  private func verify(_ readings: AnswerReadings, store: SecretFileStore, snapshot: SecretFileStore.Snapshot)
    -> Outcome
  {
    if options.decoy { return .refused(.decoy) }
    let settings = options.verificationSettings
    let host = remoteHost
    let update: SecretFileStore.Update<(verdict: Verdict, digits: Int, earlierFailures: Int)>
    do throws(StoreError) {
      update = try store.update(from: snapshot) { file in
        // The time is read under the lock: logins judged one after another
        // then see time move forward, never back.
        let now = now()
        let earlierFailures = file.failures?.count ?? 0
        let verifier = Verifier(token: file, settings: settings)
        let verdict = verifier.verify(
          readings: readings.candidates(for: file.effectiveDigits), at: now, remoteHost: host, state: &file)
        return (verdict, file.effectiveDigits, earlierFailures)
      }
    } catch {
      if case .notFound = error { return .notEnrolled(ignored: false) }
      return .unusableSecret(error)
    }
    let (verdict, digits, earlierFailures) = update.result
    switch verdict {
    case .refused(let refusal):
      if let error = update.writeError { pam.log(LOG_ERR, "\(context) state not saved: \(error.description)") }
      if refusal == .expiredCode { pam.tell("That code has expired; press Enter at the prompt for a new one.", isError: true) }
      return .refused(refusal)
    case .accepted(let acceptance):
      if let error = update.writeError {
        // A scratch or sent code that could not be crossed off would work again.
        guard options.allowReadonly, acceptance != .scratchCode, acceptance != .sentCode else {
          return .stateNotSaved(error)
        }
        pam.log(LOG_WARNING, "\(context) state not saved: \(error.description)")
      }
      if options.forwardPass || readings.isCombined,
        let password = readings.password(codeLength: acceptance == .scratchCode ? 8 : digits)
      {
        guard pam.setAuthenticationToken(password) else {
          return .badConfiguration(reason: "cannot hand the password on (PAM_AUTHTOK)")
        }
      }
      if earlierFailures > 0 {
        // Someone who knows the password may be guessing codes between the
        // user's own logins: the user is the one who can tell.
        pam.tell("Warning: \(earlierFailures) wrong verification code\(earlierFailures == 1 ? " was" : "s were") entered since your last login.")
      }
      return .accepted(acceptance, stateSaved: update.writeError == nil, earlierFailures: earlierFailures)
    }
  }

  /// What the decoy says where the real line would let the user in or
  /// stand aside: it refuses instead, at the same moment.
  private func refusal(_ outcome: Outcome) -> Outcome {
    guard options.decoy else { return outcome }
    switch outcome {
    case .notEnrolled(ignored: true), .conversationFailed: return outcome
    default: return .refused(.decoy)
    }
  }

  /// The refusal of a user over the rate limit or in a back-off, before
  /// any prompt, with a message that says why.
  private func refuseBeforePrompt(token: SecretFile) -> Outcome {
    let verifier = Verifier(token: token, settings: options.verificationSettings)
    switch verifier.admission(at: now(), remoteHost: remoteHost) {
    case .backingOff(let until):
      let wait = until - now()
      pam.tell("Too many wrong codes; try again in \(wait) second\(wait == 1 ? "" : "s").", isError: true)
      return refusal(.refused(.backingOff))
    default:
      pam.tell("Too many verification attempts; try again later.", isError: true)
      return refusal(.refused(.rateLimited))
    }
  }

  private enum Location {
    case found(SecretFileStore)
    case problem(Outcome)
    case promptThenRefuse(Outcome)
  }

  private enum SecretRead {
    case read(SecretFileStore, SecretFileStore.Snapshot)
    case outcome(Outcome)
  }

  /// Finds and reads the secret file. The user database is asked only when
  /// needed: most secret files are root's in root's directory and need no
  /// account to be checked. Something not root's on the way, or no file,
  /// makes the account matter, and the file is looked for once more.
  private func readSecret() -> SecretRead {
    var lookedUp = needsAccount
    while true {
      let store: SecretFileStore
      switch locateSecret(lookUpUser: lookedUp) {
      case .found(let located): store = located
      case .problem(let outcome): return .outcome(outcome)
      case .promptThenRefuse(let outcome): return .outcome(promptAnyway(then: refusal(outcome)))
      }
      do throws(StoreError) {
        return .read(store, try store.snapshot())
      } catch {
        if !lookedUp, error.involvesTheAccount {
          lookedUp = true
          continue
        }
        if case .notFound = error {
          return .outcome(
            options.nullOK ? .notEnrolled(ignored: true) : promptAnyway(then: refusal(.notEnrolled(ignored: false))))
        }
        return .outcome(promptAnyway(then: refusal(.unusableSecret(error))))
      }
    }
  }

  /// Whether the path or `user=` needs the account before anything is read.
  private var needsAccount: Bool {
    options.fixedUser != nil || SecretPathTemplate.usesHome(options.secretTemplate)
  }

  /// The secret file's path and owner, from the options and the user.
  /// Without `lookUpUser` the owner is taken to be root throughout, which
  /// is the stricter check; anything else makes the caller look the user up.
  private func locateSecret(lookUpUser: Bool) -> Location {
    guard UserName.isValid(user) else { return .promptThenRefuse(.unknownUser(reason: "invalid user name")) }
    var account = Account.root
    var home: [UInt8]? = nil
    if !lookUpUser {
      // No lookup: root must own everything on the way.
    } else if let fixed = options.fixedUser {
      guard let record = UserDatabase.lookup(nameOrUID: fixed) else {
        return .problem(.badConfiguration(reason: "user= account not found"))
      }
      account = record.account
    } else {
      guard let record = UserDatabase.lookup(name: user) else {
        return .promptThenRefuse(.unknownUser(reason: "unknown user"))
      }
      account = record.account
      home = record.home
    }
    let path: [UInt8]
    do throws(SecretPathTemplate.ExpansionError) {
      path = try SecretPathTemplate.expand(options.secretTemplate, user: user, home: home)
    } catch {
      switch error {
      case .needsHome:
        return .problem(.badConfiguration(reason: "secret= uses the home directory, which user= does not have"))
      case .notAbsolute:
        return .promptThenRefuse(
          .unusableSecret(.invalidPath(path: "", reason: "secret= does not expand to an absolute path")))
      }
    }
    let location = SecretFileLocation(
      path: path, account: account, allowedPermissions: options.allowedPermissions,
      strictOwner: !options.noStrictOwner)
    return .found(SecretFileStore(location: location))
  }

  /// Asks for a code that cannot succeed, so that a refusal looks the same
  /// whether or not the user is enrolled (no enrolment oracle).
  private func promptAnyway(then outcome: Outcome) -> Outcome {
    do throws(PAMHandle.ConversationFailure) {
      _ = try pam.ask(promptText, echo: options.echoCode)
    } catch {
      // Exactly as for an enrolled user, or the failure would tell.
      return .conversationFailed(error)
    }
    return outcome
  }

  private var promptText: [UInt8] {
    options.prompt ?? Array((options.forwardPass ? "Password & verification code: " : "Verification code: ").utf8)
  }

  func now() -> Int64 { Int64(cshim_realtime_seconds()) }

  var remoteHost: [UInt8]? { pam.item(PAM_RHOST) }

  var context: String { LogFields.context(pam, user: user) }

  private func log(_ outcome: Outcome) {
    pam.log(outcome.logPriority, "\(context) \(outcome.logText)")
  }
}

extension StoreError {
  /// Errors whose meaning depends on the user's account: a directory or
  /// file that is not root's may be the user's own, and a missing file may
  /// belong to a user who does not exist.
  var involvesTheAccount: Bool {
    switch self {
    case .notFound, .unsafeDirectory(_, .ownedBy), .unsafeFile(_, .ownedBy): true
    default: false
    }
  }
}
