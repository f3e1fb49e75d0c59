/// The state changes a verification may make, behind one narrow interface.
///
/// The secret file implements it in memory (its caller rewrites the file
/// under a lock afterwards). A shared backend for a fleet of hosts (LDAP with
/// an assertion per modify) can implement the same operations atomically
/// without touching the policy or the PAM glue.
public protocol VerificationState {
  /// Counts an answered attempt at `time`; false when it exceeds the limit.
  mutating func recordAttempt(at time: Int64) -> Bool
  /// Claims a TOTP step for good; false when it was claimed before. Steps
  /// older than `window` can no longer be accepted and may be forgotten.
  mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>) -> Bool
  /// Moves the HOTP counter from `current` to `next` (never backwards);
  /// false when it no longer is `current`.
  mutating func advanceCounter(from current: UInt64, to next: UInt64) -> Bool
  /// Removes a scratch code; false when it is already gone.
  mutating func useScratchCode(_ code: UInt32) -> Bool
  /// GA's skew detection: remembers an off-window match and, once three
  /// consistent ones are seen, stores the skew. True when the skew was set.
  mutating func observeSkew(_ observation: SkewObservation) -> SkewUpdate
  /// Remembers a successful login from `host`, for `grace_period`.
  mutating func recordLogin(from host: [UInt8], at time: Int64)
  /// Counts a wrong (or replayed) code, for the back-off.
  mutating func recordFailure(at time: Int64)
  /// After a success: forgets the wrong codes and says how many there were.
  mutating func clearFailures() -> Int
  /// Uses up the code last sent by e-mail or SMS if `answer` is it.
  mutating func useSentCode(_ answer: [UInt8], at now: Int64) -> SentCodeCheck
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

  public mutating func claimTimeStep(_ step: Int64, window: ClosedRange<Int64>) -> Bool {
    guard var used = usedSteps else { return true }
    guard !used.contains(step) else { return false }
    // Only steps older than the window are forgotten: a step ahead of it
    // may be inside the window of a login judged a moment later (or after
    // the clock stepped back). The list stays bounded all the same.
    used = used.filter { $0 >= window.lowerBound }
    used.append(step)
    usedSteps = Array(used.suffix(Self.maximumUsedSteps))
    return true
  }

  /// More than any window (at most 100) can hold.
  static let maximumUsedSteps = 256

  public mutating func advanceCounter(from current: UInt64, to next: UInt64) -> Bool {
    guard case .hotp(let stored) = mode, stored == current, next > current else { return false }
    mode = .hotp(nextCounter: next)
    return true
  }

  public mutating func useScratchCode(_ code: UInt32) -> Bool {
    guard let index = scratchCodes.firstIndex(of: code) else { return false }
    scratchCodes.remove(at: index)
    return true
  }

  public mutating func observeSkew(_ observation: SkewObservation) -> SkewUpdate {
    var observations = skewObservations ?? []
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
      timeSkew = average
      skewObservations = []
      return .adjusted(skew: average)
    }
    skewObservations = observations
    return .recorded
  }

  public mutating func recordFailure(at time: Int64) {
    failures = FailureCount(count: min((failures?.count ?? 0) + 1, FailureCount.countRange.upperBound), last: time)
  }

  public mutating func clearFailures() -> Int {
    guard let count = failures?.count else { return 0 }  // no write when there is nothing to clear
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
