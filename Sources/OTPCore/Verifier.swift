/// Module settings that change how a code is judged.
public struct VerificationSettings: Sendable {
  /// GA's skew detection; off with `noskewadj`.
  public var adjustSkew: Bool
  /// A wrong HOTP code advances the counter; off with `no_increment_hotp`.
  public var advanceCounterOnFailure: Bool
  /// `grace_period=`: seconds after a login from the same host in which no
  /// code is asked. 0 turns it off.
  public var gracePeriod: Int64
  public var backoff: Backoff

  public init(
    adjustSkew: Bool = true, advanceCounterOnFailure: Bool = true, gracePeriod: Int64 = 0,
    backoff: Backoff = Backoff()
  ) {
    self.adjustSkew = adjustSkew
    self.advanceCounterOnFailure = advanceCounterOnFailure
    self.gracePeriod = gracePeriod
    self.backoff = backoff
  }
}

/// The wait after consecutive wrong codes: none for the first
/// `freeFailures`, then `initialDelay` seconds, doubling with each further
/// wrong code (GA's rate limit alone lets an attacker who knows the
/// password try about three million codes a year; this lets them try 23).
public struct Backoff: Equatable, Sendable {
  public var freeFailures: Int
  /// Seconds; 0 turns the back-off off.
  public var initialDelay: Int64
  /// Seconds; nil lets the wait grow without bound.
  public var maximumDelay: Int64?

  public init(freeFailures: Int = 3, initialDelay: Int64 = 30, maximumDelay: Int64? = nil) {
    self.freeFailures = freeFailures
    self.initialDelay = initialDelay
    self.maximumDelay = maximumDelay
  }

  /// When the wait after `failures` ends, or nil if they call for none.
  public func end(after failures: FailureCount) -> Int64? {
    let delay = delay(afterFailures: failures.count)
    guard delay > 0 else { return nil }
    let (end, overflow) = failures.last.addingReportingOverflow(delay)
    return overflow ? Int64.max : end
  }

  /// Seconds to wait after `count` wrong codes in a row.
  public func delay(afterFailures count: Int) -> Int64 {
    guard initialDelay > 0, count >= freeFailures else { return 0 }
    let exponent = Int64(min(count - freeFailures, 40))
    let (delay, overflow) = initialDelay.multipliedReportingOverflow(by: Int64(1) << exponent)
    let bounded = overflow ? Int64.max / 4 : delay
    return maximumDelay.map { min(bounded, $0) } ?? bounded
  }
}

/// What happens before the prompt.
public enum Admission: Equatable, Sendable {
  /// Ask for a code.
  case prompt
  /// The host logged in within `grace_period`: succeed without a code.
  case withinGracePeriod
  /// Too many attempts recently: refuse without prompting.
  case rateLimited
  /// Too many wrong codes in a row: no attempt before `until`.
  case backingOff(until: Int64)
}

public enum Verdict: Equatable, Sendable {
  case accepted(Acceptance)
  case refused(Refusal)

  public var isAccepted: Bool {
    if case .accepted = self { return true }
    return false
  }

  /// Of two refusals of one answer, the one worth reporting: a replay says
  /// more than a wrong code, which says more than a malformed reading.
  func outranks(_ other: Verdict) -> Bool {
    func rank(_ verdict: Verdict) -> Int {
      switch verdict {
      case .accepted: 4
      case .refused(.replayedCode), .refused(.rateLimited), .refused(.backingOff), .refused(.expiredCode): 3
      case .refused(.wrongCode): 2
      case .refused(.malformedAnswer): 1
      }
    }
    return rank(self) > rank(other)
  }
}

public enum Acceptance: Equatable, Sendable {
  case totp(step: Int64)
  case hotp(counter: UInt64)
  case scratchCode
  /// The third consistent code far outside the window: GA adjusts the
  /// stored skew and lets the user in.
  case skewAdjusted(step: Int64, skew: Int64)
  /// The code sent by e-mail or SMS.
  case sentCode
}

public enum Refusal: Equatable, Sendable {
  case wrongCode
  /// A TOTP step or HOTP counter that was used before.
  case replayedCode
  case rateLimited
  /// Not digits, or not a length any code has.
  case malformedAnswer
  /// Too many wrong codes in a row; the back-off has not yet passed.
  case backingOff
  /// The code sent by e-mail or SMS, after its lifetime.
  case expiredCode

  public var reason: String {
    switch self {
    case .wrongCode: "wrong code"
    case .replayedCode: "code already used"
    case .rateLimited: "rate limit exceeded"
    case .malformedAnswer: "answer is not a code"
    case .backingOff: "too many wrong codes in a row; back-off not over"
    case .expiredCode: "sent code expired"
    }
  }
}

/// The verification policy: GA's rules, decided from a secret file's
/// configuration, a time and an answer. No I/O; the caller holds the lock.
public struct Verifier {
  public let token: SecretFile
  public let settings: VerificationSettings

  /// GA's skew search: up to this many steps either side (12.5 hours at 30 s).
  static let skewSearchSteps: Int64 = 1500

  public init(token: SecretFile, settings: VerificationSettings = VerificationSettings()) {
    self.token = token
    self.settings = settings
  }

  /// Before prompting: a login within the grace period needs no code, and a
  /// user over the rate limit is not asked at all. Changes nothing.
  public func admission(at now: Int64, remoteHost: [UInt8]?) -> Admission {
    if settings.gracePeriod > 0, let host = remoteHost,
      let last = token.lastLogins.first(where: { $0.host == host }),
      last.time <= now, now < last.time + settings.gracePeriod
    {
      return .withinGracePeriod
    }
    if let until = backoffEnd(at: now), now < until { return .backingOff(until: until) }
    if let limit = token.rateLimit {
      let recent = limit.times.filter { $0 >= now - Int64(limit.interval) && $0 <= now }
      if recent.count >= limit.attempts { return .rateLimited }
    }
    return .prompt
  }

  /// When the back-off after the recorded wrong codes ends, if there is one.
  /// A last failure later than `now` means the clock was stepped back: it
  /// calls for no wait (else none would end until the clock caught up),
  /// and the next wrong code, recorded at the new time with the count
  /// kept, starts a longer one.
  public func backoffEnd(at now: Int64) -> Int64? {
    guard let failures = token.failures, failures.last <= now else { return nil }
    return settings.backoff.end(after: failures)
  }

  /// Judges an answer and records what it used in `state`: the attempt,
  /// the claimed step or counter, the scratch code. `readings` are the ways
  /// to read one answer (a code, or with `forward_pass` the last 6 or the
  /// last 8 digits); together they count as one attempt, however many
  /// tokens the user holds.
  public func verify<State: VerificationState>(
    readings: [[UInt8]], at now: Int64, remoteHost: [UInt8]?, state: inout State
  ) -> Verdict {
    var matched: Int? = nil
    return verify(readings: readings, at: now, remoteHost: remoteHost, state: &state, matchedToken: &matched)
  }

  /// As above; `matchedToken` is set to the index (in `tokens`) of the
  /// token whose code was accepted.
  public func verify<State: VerificationState>(
    readings: [[UInt8]], at now: Int64, remoteHost: [UInt8]?, state: inout State, matchedToken: inout Int?
  ) -> Verdict {
    matchedToken = nil
    // An answer that no code could match guesses nothing; it is refused
    // without counting against the rate limit or moving a counter.
    guard readings.contains(where: isPlausibleCode) else { return .refused(.malformedAnswer) }
    // Checked again here, under the lock: sessions prompted at the same time
    // must not all get their guess in.
    if let until = backoffEnd(at: now), now < until { return .refused(.backingOff) }
    // The user's rate limit, once per answer: not once per token.
    guard state.recordAttempt(at: now) else { return .refused(.rateLimited) }
    var verdict: Verdict = .refused(.malformedAnswer)
    for answer in readings {
      var tokenIndex: Int? = nil
      let judged = judge(answer, at: now, state: &state, matchedToken: &tokenIndex)
      if judged.isAccepted || judged.outranks(verdict) { verdict = judged }
      if judged.isAccepted {
        matchedToken = tokenIndex
        break
      }
    }
    switch verdict {
    case .accepted: _ = state.clearFailures()
    case .refused(.wrongCode), .refused(.replayedCode), .refused(.expiredCode):
      state.recordBackoff(until: settings.backoff.end(after: state.recordFailure(at: now)))
    case .refused: break
    }
    if verdict.isAccepted {
      if settings.gracePeriod > 0, let host = remoteHost { state.recordLogin(from: host, at: now) }
      if let matchedToken { state.recordUse(token: matchedToken, at: now) }
    } else if settings.advanceCounterOnFailure, verdict != .refused(.malformedAnswer) {
      // GA moves the counter on after a wrong HOTP code, so a code seen by
      // someone else but never entered stops working: every HOTP token's.
      for (index, token) in token.tokens.enumerated() where token.acceptsCodes {
        if case .hotp(let counter) = token.mode, counter < SecretFile.maximumHOTPCounter {
          _ = state.advanceCounter(token: index, from: counter, to: counter + 1)
        }
      }
    }
    return verdict
  }

  /// One reading of an answer.
  public func verify<State: VerificationState>(
    answer: [UInt8], at now: Int64, remoteHost: [UInt8]?, state: inout State
  ) -> Verdict {
    verify(readings: [answer], at: now, remoteHost: remoteHost, state: &state)
  }

  /// The lengths an answer may have: a code of the primary (or a sent code),
  /// of any active token, or a scratch code.
  public var codeLengths: [Int] {
    var lengths = [token.effectiveDigits]
    for token in token.tokens where token.acceptsCodes && !lengths.contains(token.effectiveDigits) {
      lengths.append(token.effectiveDigits)
    }
    if !lengths.contains(8) { lengths.append(8) }
    return lengths
  }

  /// Digits only, as many as a code or a scratch code has.
  func isPlausibleCode(_ answer: [UInt8]) -> Bool {
    codeLengths.contains(answer.count) && answer.allSatisfy(ASCII.isDigit)
  }

  private func judge<State: VerificationState>(
    _ answer: [UInt8], at now: Int64, state: inout State, matchedToken: inout Int?
  ) -> Verdict {
    guard !answer.isEmpty, answer.allSatisfy(ASCII.isDigit) else { return .refused(.malformedAnswer) }
    if answer.count == 8, let code = matchingScratchCode(answer) {
      return state.useScratchCode(code) ? .accepted(.scratchCode) : .refused(.replayedCode)
    }
    guard codeLengths.contains(answer.count) else { return .refused(.malformedAnswer) }
    if answer.count == token.effectiveDigits {
      // Before the app's code, so that a sent code never feeds the skew search.
      switch state.useSentCode(answer, at: now) {
      case .accepted: return .accepted(.sentCode)
      case .expired: return .refused(.expiredCode)
      case .wrong, .none: break
      }
    }
    let tokens = token.tokens
    let candidates = tokens.indices.filter { tokens[$0].acceptsCodes && tokens[$0].effectiveDigits == answer.count }
    // Every token's window first; only an answer that matches none is
    // searched for a skew, so one token's search never claims another's code.
    var verdict: Verdict = .refused(.wrongCode)
    for index in candidates {
      let candidate = tokens[index]
      let judged: Verdict
      switch candidate.mode {
      case .totp: judged = judgeTOTPWindow(answer, candidate, index, at: now, state: &state)
      case .hotp(let counter): judged = judgeHOTP(answer, candidate, index, counter: counter, state: &state)
      case .scratchCodesOnly: judged = .refused(.wrongCode)
      }
      if judged.isAccepted {
        matchedToken = index
        return judged
      }
      if judged.outranks(verdict) { verdict = judged }
    }
    guard verdict == .refused(.wrongCode), settings.adjustSkew else { return verdict }
    for index in candidates where tokens[index].mode == .totp {
      let judged = searchSkew(answer, tokens[index], index, at: now, state: &state)
      if judged.isAccepted {
        matchedToken = index
        return judged
      }
      if judged.outranks(verdict) { verdict = judged }
    }
    return verdict
  }

  /// The steps a TOTP code of the primary token may come from.
  public func timeWindow(at now: Int64) -> ClosedRange<Int64> {
    Self.timeWindow(of: token.primary, at: now)
  }

  /// The steps a TOTP code may come from: WINDOW_SIZE codes around the
  /// current step plus the stored skew (3 means one before to one after).
  public static func timeWindow(of token: OTPToken, at now: Int64) -> ClosedRange<Int64> {
    let center = OneTimePassword.timeStep(at: now, period: token.effectiveStepSize) + (token.timeSkew ?? 0)
    let size = Int64(token.effectiveWindowSize)
    return (center - (size - 1) / 2)...(center + size / 2)
  }

  private func judgeTOTPWindow<State: VerificationState>(
    _ answer: [UInt8], _ token: OTPToken, _ index: Int, at now: Int64, state: inout State
  ) -> Verdict {
    let window = Self.timeWindow(of: token, at: now)
    guard let step = firstMatch(token.generator, answer, window) else { return .refused(.wrongCode) }
    return state.claimTimeStep(step, window: window, token: index) ? .accepted(.totp(step: step)) : .refused(.replayedCode)
  }

  private func searchSkew<State: VerificationState>(
    _ answer: [UInt8], _ token: OTPToken, _ index: Int, at now: Int64, state: inout State
  ) -> Verdict {
    // GA searches around the unskewed step, nearest first, the earlier side
    // winning a tie; every candidate is computed so timing tells nothing.
    let generator = token.generator
    let step = OneTimePassword.timeStep(at: now, period: token.effectiveStepSize)
    var found: Int64? = nil
    for distance in 0..<Self.skewSearchSteps {
      for candidate in [step - distance, step + distance] where candidate >= 0 {
        if generator.code(counter: UInt64(candidate)).matches(answer) && found == nil {
          found = candidate - step
        }
      }
    }
    guard let skew = found else { return .refused(.wrongCode) }
    switch state.observeSkew(SkewObservation(step: step, skew: skew), token: index) {
    case .repeated, .recorded: return .refused(.wrongCode)
    case .adjusted(let average):
      let matched = step + skew
      let size = Int64(token.effectiveWindowSize)
      let center = step + average
      return state.claimTimeStep(matched, window: (center - (size - 1) / 2)...(center + size / 2), token: index)
        ? .accepted(.skewAdjusted(step: matched, skew: average)) : .refused(.replayedCode)
    }
  }

  private func judgeHOTP<State: VerificationState>(
    _ answer: [UInt8], _ token: OTPToken, _ index: Int, counter: UInt64, state: inout State
  ) -> Verdict {
    // The next counter is stored, so a code is accepted only below the
    // largest counter the file holds: the one at it could never be crossed
    // off (a token of 10^19 codes is used up, not wrapped round).
    let highest = SecretFile.maximumHOTPCounter - 1
    guard counter <= highest else { return .refused(.wrongCode) }
    let size = UInt64(token.effectiveWindowSize)
    let window = counter...(highest - counter < size - 1 ? highest : counter + size - 1)
    if let matched = token.generator.firstMatch(of: answer, in: window) {
      return state.advanceCounter(token: index, from: counter, to: matched + 1)
        ? .accepted(.hotp(counter: matched)) : .refused(.replayedCode)
    }
    return .refused(.wrongCode)
  }

  private func firstMatch(_ generator: OneTimePassword, _ answer: [UInt8], _ window: ClosedRange<Int64>) -> Int64? {
    guard window.upperBound >= 0 else { return nil }
    let lower = UInt64(max(window.lowerBound, 0))
    return generator.firstMatch(of: answer, in: lower...UInt64(window.upperBound)).map { Int64($0) }
  }

  /// Compares the answer with every scratch code in constant time.
  private func matchingScratchCode(_ answer: [UInt8]) -> UInt32? {
    var match: UInt32? = nil
    for code in token.scratchCodes {
      let candidate = OneTimeCode(value: code, digits: 8)
      if candidate.matches(answer) && match == nil { match = code }
    }
    return match
  }
}
