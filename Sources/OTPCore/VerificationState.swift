/// The state changes a verification may make, behind one narrow interface.
///
/// The secret file implements it in memory (its caller rewrites the file
/// under a lock afterwards). A shared backend for a fleet of hosts (LDAP with
/// an assertion per modify) can implement the same operations atomically
/// without touching the policy or the PAM glue.
public protocol VerificationState {
  /// Counts an answered attempt at `time`; false when it exceeds the limit.
  mutating func recordAttempt(at time: Int64) -> Bool
  /// Claims a TOTP step of the token at `token` (an index of the file's
  /// `tokens`) for good; false when it was claimed before. Steps older than
  /// `window` can no longer be accepted and may be forgotten.
  mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>, token: Int) -> Bool
  /// Moves a token's HOTP counter from `current` to `next` (never
  /// backwards); false when it no longer is `current`.
  mutating func advanceCounter(token: Int, from current: UInt64, to next: UInt64) -> Bool
  /// Removes a scratch code; false when it is already gone.
  mutating func useScratchCode(_ code: UInt32) -> Bool
  /// GA's skew detection: remembers an off-window match and, once three
  /// consistent ones are seen, stores the skew. True when the skew was set.
  mutating func observeSkew(_ observation: SkewObservation, token: Int) -> SkewUpdate
  /// Notes when a token last logged in; never a reason to write by itself.
  mutating func recordUse(token: Int, at time: Int64)
  /// Remembers a successful login from `host`, for `grace_period`.
  mutating func recordLogin(from host: [UInt8], at time: Int64)
  /// Counts a wrong (or replayed) code, for the back-off; returns the count.
  mutating func recordFailure(at time: Int64) -> FailureCount
  /// Records when the back-off that the wrong codes now call for ends (nil:
  /// none), so that tools can show what the module decided.
  mutating func recordBackoff(until time: Int64?)
  /// After a success: forgets the wrong codes (and their back-off) and says
  /// how many there were.
  mutating func clearFailures() -> Int
  /// Uses up the code last sent by e-mail or SMS if `answer` is it.
  mutating func useSentCode(_ answer: [UInt8], at now: Int64) -> SentCodeCheck
}

extension VerificationState {
  // The primary token's state, as before there were several.
  public mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>) -> Bool {
    claimTimeStep(step, window: window, token: 0)
  }

  public mutating func advanceCounter(from current: UInt64, to next: UInt64) -> Bool {
    advanceCounter(token: 0, from: current, to: next)
  }

  public mutating func observeSkew(_ observation: SkewObservation) -> SkewUpdate {
    observeSkew(observation, token: 0)
  }
}

public enum SkewUpdate: Equatable, Sendable {
  /// The same off-window code as last time: nothing recorded.
  case repeated
  /// Recorded; not yet consistent.
  case recorded
  /// Three consistent observations: the skew is now this many steps.
  case adjusted(skew: Int64)
}

extension SecretFile: VerificationState {
  public mutating func recordAttempt(at time: Int64) -> Bool {
    guard var limit = rateLimit else { return true }
    // GA's rule: keep attempts in [now - interval, now]; more than
    // `attempts` of them, including this one, is too many.
    var times = (limit.times + [time]).filter { $0 >= time - Int64(limit.interval) && $0 <= time }
    times.sort()
    let allowed = times.count <= limit.attempts
    limit.times = Array(times.suffix(limit.attempts))
    rateLimit = limit
    return allowed
  }

  public mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>, token index: Int) -> Bool {
    guard let token = token(at: index) else { return false }
    guard var used = token.usedSteps else { return true }
    guard !used.contains(step) else { return false }
    // Only steps older than the window are forgotten: a step ahead of it
    // may be inside the window of a login judged a moment later (or after
    // the clock stepped back). The list stays bounded all the same.
    used = used.filter { $0 >= window.lowerBound }
    used.append(step)
    modifyToken(at: index) { $0.usedSteps = Array(used.suffix(Self.maximumUsedSteps)) }
    return true
  }

  /// More than any window (at most 100) can hold.
  static let maximumUsedSteps = 256

  public mutating func advanceCounter(token index: Int, from current: UInt64, to next: UInt64) -> Bool {
    guard case .hotp(let stored) = token(at: index)?.mode, stored == current, next > current else { return false }
    return modifyToken(at: index) { $0.mode = .hotp(nextCounter: next) }
  }

  public mutating func recordUse(token index: Int, at time: Int64) {
    // Written with the state the login changes anyway: a login that
    // changes nothing (reuse allowed, no rate limit) stays without a write.
    let changed = hasChanges
    modifyToken(at: index) { $0.lastUsed = time }
    hasChanges = changed
  }

  public mutating func useScratchCode(_ code: UInt32) -> Bool {
    guard let index = scratchCodes.firstIndex(of: code) else { return false }
    scratchCodes.remove(at: index)
    return true
  }

  public mutating func observeSkew(_ observation: SkewObservation, token index: Int) -> SkewUpdate {
    guard let token = token(at: index) else { return .repeated }
    var observations = token.skewObservations ?? []
    if let last = observations.last, last.step + last.skew == observation.step + observation.skew {
      return .repeated
    }
    observations.append(observation)
    observations = Array(observations.suffix(3))
    // GA's test: three codes at increasing steps, at most two steps apart,
    // whose skews agree within one step.
    if observations.count == 3,
      (1...2).allSatisfy({ index in
        observations[index].step > observations[index - 1].step
          && observations[index].step <= observations[index - 1].step + 2
          && abs(observations[index - 1].skew - observation.skew) <= 1
      })
    {
      let average = (observations[0].skew + observations[1].skew + observations[2].skew) / 3
      modifyToken(at: index) {
        $0.timeSkew = average
        $0.skewObservations = []
      }
      return .adjusted(skew: average)
    }
    modifyToken(at: index) { $0.skewObservations = observations }
    return .recorded
  }

  @discardableResult
  public mutating func recordFailure(at time: Int64) -> FailureCount {
    let recorded = FailureCount(count: min((failures?.count ?? 0) + 1, FailureCount.countRange.upperBound), last: time)
    failures = recorded
    return recorded
  }

  public mutating func recordBackoff(until time: Int64?) {
    if backoffUntil != time { backoffUntil = time }  // an unchanged record is no write
  }

  public mutating func clearFailures() -> Int {
    // No write when there is nothing to clear.
    if backoffUntil != nil { backoffUntil = nil }
    guard let count = failures?.count else { return 0 }
    failures = nil
    return count
  }

  public mutating func recordLogin(from host: [UInt8], at time: Int64) {
    guard OptionLine.isHostName(host) else { return }
    if let index = lastLogins.firstIndex(where: { $0.host == host }) {
      lastLogins[index].time = time
      return
    }
    let used = lastLogins.map { $0.slot }
    if let free = LastLogin.slots.first(where: { !used.contains($0) }) {
      lastLogins.append(LastLogin(slot: free, host: host, time: time))
    } else if let oldest = lastLogins.indices.min(by: { lastLogins[$0].time < lastLogins[$1].time }) {
      lastLogins[oldest] = LastLogin(slot: lastLogins[oldest].slot, host: host, time: time)
    }
  }
}
