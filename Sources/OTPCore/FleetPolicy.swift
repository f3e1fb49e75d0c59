/// How an answer is judged against a user's tokens in the directory: the
/// same `Verifier` and the same conclusions as the file store, and what the
/// judgement must write to the directory for every host to see it.
///
/// The directory is the lock: a success is only a success once its claim
/// (one modify, guarded by an assertion that the step or counter is still
/// below the one claimed) has been applied. A claim refused there is a
/// replay. Wrong codes are counted with an increment, so the back-off
/// holds for the fleet.
///
/// A user's failure count lives on their first token (in DN order): one
/// counter per user, however many tokens they have.
public struct FleetPolicy {
  public let policy: LoginPolicy

  public init(policy: LoginPolicy) {
    self.policy = policy
  }

  /// The verifier's settings for the fleet: no skew learning (its state is
  /// per host), no grace period, and a wrong HOTP code does not move the
  /// counter (an unguarded write that would race with a claim).
  public var settings: VerificationSettings {
    var settings = policy.options.verificationSettings
    settings.adjustSkew = false
    settings.advanceCounterOnFailure = false
    settings.gracePeriod = 0
    return settings
  }

  /// What the directory must be told.
  public struct Writes: Equatable, Sendable {
    public enum Claim: Equatable, Sendable {
      /// `oathTOTPLastTimeStep` := step, asserting it is below.
      case step(Int64)
      /// `oathHOTPCounter` := next, asserting it is below.
      case counter(next: UInt64)
    }
    /// The token (index) and what it claims.
    public var claim: (token: Int, Claim)?
    /// Count a wrong code on the first token.
    public var failure = false
    /// A success resets the first token's count.
    public var clearFailures = false

    public static func == (left: Writes, right: Writes) -> Bool {
      left.claim?.token == right.claim?.token && left.claim?.1 == right.claim?.1 && left.failure == right.failure
        && left.clearFailures == right.clearFailures
    }

    public var isEmpty: Bool { claim == nil && !failure && !clearFailures }
  }

  /// The first token, as the opening phase gives it to `LoginPolicy`: its
  /// failures are the user's.
  public static func standing(_ tokens: [FleetToken]) -> LoginPolicy.Standing {
    guard let first = tokens.first else { return .notEnrolled }
    return .enrolled(first.file)
  }

  public func judge(_ readings: AnswerReadings, tokens: [FleetToken], at now: Int64) -> (
    LoginPolicy.Judgement, Writes
  ) {
    let now = LoginPolicy.bounded(now)
    guard now >= 0, let first = tokens.first else { return (.clockBeforeEpoch, Writes()) }
    let earlierFailures = first.file.failures?.count ?? 0
    var verdict: Verdict = .refused(.malformedAnswer)
    var codeLength = first.file.effectiveDigits
    var writes = Writes()
    // Named for users with several tokens, as in the file store.
    var matchedName: [UInt8]? = nil
    for (index, token) in tokens.enumerated() {
      var state = FleetState(token: token)
      // Every token sees the user's failures (the back-off is the user's).
      state.file.failures = first.file.failures
      let verifier = Verifier(token: state.file, settings: settings)
      let judged = readings.withCandidates(digits: token.file.effectiveDigits) { candidates in
        verifier.verify(readings: candidates, at: now, remoteHost: nil, state: &state)
      }
      // Accepted means claimed: a verdict without a claim (none can occur
      // with these settings) is not a success here.
      if judged.isAccepted, state.claim != nil {
        verdict = judged
        codeLength = token.file.effectiveDigits
        matchedName = tokens.count > 1 ? token.name : nil
        writes.claim = state.claim.map { (index, $0) }
        writes.clearFailures = earlierFailures > 0 || first.failureCount > 0
        break
      }
      if !judged.isAccepted, judged.outranks(verdict) { verdict = judged }
    }
    var backoffUntil: Int64? = nil
    switch verdict {
    case .refused(.wrongCode), .refused(.replayedCode):
      writes.failure = true
      backoffUntil = settings.backoff.end(after: FailureCount(count: earlierFailures + 1, last: now))
        .flatMap { $0 > now ? $0 : nil }
    case .refused(.backingOff):
      // Other hosts' wrong codes arrived since the prompt: the wait they
      // started, as the user is told it.
      backoffUntil = first.file.failures.flatMap { settings.backoff.end(after: $0) }.flatMap { $0 > now ? $0 : nil }
    default: break
    }
    return (
      .verdict(
        verdict, codeLength: codeLength, earlierFailures: earlierFailures, backoffUntil: backoffUntil, at: now,
        token: matchedName),
      writes
    )
  }

  /// The directory refused the claim (another host had claimed this step
  /// or counter, or a later one): the answer is a replay, and counts as a
  /// wrong code.
  public func refusedClaim(_ judgement: LoginPolicy.Judgement) -> (LoginPolicy.Judgement, Writes) {
    guard case .verdict(_, let codeLength, let earlierFailures, _, let now, _, _) = judgement else {
      return (judgement, Writes())
    }
    let until = settings.backoff.end(after: FailureCount(count: earlierFailures + 1, last: now))
      .flatMap { $0 > now ? $0 : nil }
    var writes = Writes()
    writes.failure = true
    return (
      .verdict(
        .refused(.replayedCode), codeLength: codeLength, earlierFailures: earlierFailures, backoffUntil: until, at: now),
      writes
    )
  }
}

/// A token's state during one judgement: what the verifier claims is only
/// noted here; the directory decides whether it holds.
struct FleetState: VerificationState {
  var file: SecretFile
  let lastStep: Int64?
  var claim: FleetPolicy.Writes.Claim? = nil

  init(token: FleetToken) {
    file = token.file
    lastStep = token.lastStep
  }

  mutating func recordAttempt(at time: Int64) -> Bool { true }

  // A fleet token's file holds that token alone: `token` is always 0.
  mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>, token: Int) -> Bool {
    // Only a step later than every accepted one: a replay, or an older
    // code of the same window, is refused on every host.
    if let last = lastStep, step <= last { return false }
    claim = .step(step)
    return true
  }

  mutating func advanceCounter(token: Int, from current: UInt64, to next: UInt64) -> Bool {
    guard file.advanceCounter(token: token, from: current, to: next) else { return false }
    claim = .counter(next: next)
    return true
  }

  mutating func useScratchCode(_ code: UInt32) -> Bool { false }
  mutating func observeSkew(_ observation: SkewObservation, token: Int) -> SkewUpdate { .recorded }
  // The directory keeps oathLastLogin, written with the claim.
  mutating func recordUse(token: Int, at time: Int64) {}
  mutating func recordLogin(from host: [UInt8], at time: Int64) {}
  mutating func recordFailure(at time: Int64) -> FailureCount {
    FailureCount(count: min((file.failures?.count ?? 0) + 1, FailureCount.countRange.upperBound), last: time)
  }
  mutating func recordBackoff(until time: Int64?) {}
  mutating func clearFailures() -> Int { file.failures?.count ?? 0 }
  mutating func useSentCode(_ answer: [UInt8], at now: Int64) -> SentCodeCheck { .none }
}
