import CPAM
import Glibc

/// A success must have used up what it used: the same answers, typed again
/// at the same times into the file the success left, must fail. Replays
/// run without faults and without `grace_period` (a grace login needs no
/// code), with other random bytes (another sent code). Two of them:
///
/// - **As it was**, for a TOTP or HOTP success: the step must be claimed,
///   the counter moved on. Not for a TOTP file without DISALLOW_REUSE (its
///   codes may be used again), nor after `allow_readonly` met a read-only
///   or full file system with a TOTP file; and not where a scratch or sent
///   code was in play, which the second replay judges.
/// - **Scratch codes only**: TOTP_AUTH and HOTP_COUNTER dropped, so that
///   only a scratch code or a sent code can still match, and neither may
///   ever work twice, whatever the options.
///
/// The fuzzer controls the secret, the counter, the window and the seed of
/// the random bytes, so it can make one typed answer valid twice by
/// coincidence (a second match later in a HOTP window, a sent code that is
/// also a TOTP code). A replay's success explained by such a coincidence
/// is not a violation; the explanations are worked out from the file.
extension Harness {
  func replays(_ invariants: Invariants, facts: SecretFacts, after: Sandbox.FileState, path: String)
    throws(Violation)
  {
    let original = invariants.result
    var replay = invariants.setup
    replay.arguments = replay.arguments.filter { !$0.starts(with: "grace_period".utf8) }
    replay.faults = []
    replay.replies = original.typed
    replay.resumes = 0
    replay.randomSeed = replay.randomSeed ^ 0x5EED_0F_2EF1A7
    let readings = Self.readings(of: original.typed, token: invariants.setup.authenticationToken, digits: facts.digits)
    let scratchCodes = Set(facts.scratchCodes.map { SecretFacts.decimal(UInt64($0), width: 8) })
    let scratchInPlay = !readings.isDisjoint(with: scratchCodes)
    let sentInPlay = facts.hasSentCode || original.spawned > 0
    let totpReusable = facts.mode == .totp && (facts.usedSteps == nil || invariants.readOnlyAcceptancePossible)

    if !totpReusable && !scratchInPlay && !sentInPlay && facts.mode != .scratchCodesOnly {
      let again = run(replay, file: after.bytes, like: after, path: path, facts: facts, title: "replay as it was")
      if again.status == PAM_SUCCESS,
        !Self.anotherCodeMatches(before: facts, after: SecretFacts(parsing: after.bytes), readings: readings,
          originalReads: original.clockReads, replayReads: again.clockReads)
      {
        throw Violation("replay-succeeded", "the same answers succeeded again on the file the success left")
      }
    }

    guard !scratchCodes.isEmpty || facts.hasDeliveryAddress || facts.hasSentCode else { return }
    let again = run(
      replay, file: Self.scratchCodesOnly(after.bytes), like: after, path: path, facts: facts,
      title: "replay with scratch codes only")
    if again.status == PAM_SUCCESS,
      !Self.anotherReadingWasUsed(before: facts, after: SecretFacts(parsing: after.bytes), readings: readings,
        sentCodes: original.sentCodes, originalReads: original.clockReads)
    {
      throw Violation("replay-scratch-or-sent", "a scratch or sent code that succeeded works again")
    }
  }

  private func run(
    _ replay: LoginSetup, file: [UInt8], like after: Sandbox.FileState, path: String, facts: SecretFacts, title: String
  ) -> LoginResult {
    sandbox.reset()
    Sandbox.write(file, to: path, mode: after.mode, owner: after.uid, group: after.gid)
    let again = Login.run(replay, facts: facts, sandbox: sandbox)
    if verbose { describe(again, after: Sandbox.state(of: path), title: title) }
    return again
  }

  /// Every way the module may have read the answers: as typed without
  /// spaces, and the last N and last 8 digits (a password before a code).
  /// More readings than the module uses can only excuse more replays.
  static func readings(of typed: [Scenario.Reply], token: [UInt8]?, digits: Int) -> Set<[UInt8]> {
    var answers = typed.compactMap { reply -> [UInt8]? in if case .literal(let bytes) = reply { bytes } else { nil } }
    if let token { answers.append(token) }
    var readings: Set<[UInt8]> = []
    for answer in answers {
      readings.insert(answer.filter { $0 != 0x20 && $0 != 0x09 })
      for length in [digits, 8] where answer.count >= length { readings.insert(Array(answer.suffix(length))) }
    }
    return readings
  }

  /// The replay as it was succeeded: by the same code again (a defect), or
  /// by another step or counter whose code happens to be the same.
  static func anotherCodeMatches(
    before: SecretFacts, after: SecretFacts?, readings: Set<[UInt8]>, originalReads: [Int64], replayReads: [Int64]
  ) -> Bool {
    guard let after else { return false }
    switch after.mode {
    case .hotp:
      let used = before.firstHOTPCounter(matching: readings)
      guard let matched = after.firstHOTPCounter(matching: readings) else { return false }
      return matched != used
    case .totp:
      let used = Set(originalReads.compactMap { before.firstTOTPStep(matching: readings, at: $0) })
      return replayReads.contains { time in
        guard let step = after.firstTOTPStep(matching: readings, at: time) else { return false }
        return !used.contains(step) && !(after.usedSteps ?? []).contains(step)
      }
    case .scratchCodesOnly:
      return false
    }
  }

  /// The replay with scratch codes only succeeded with a scratch code the
  /// success left in place: a defect, unless the success took another
  /// reading of the same answer first (a TOTP, HOTP or sent code in its
  /// last digits, the scratch code in its last 8).
  static func anotherReadingWasUsed(
    before: SecretFacts, after: SecretFacts?, readings: Set<[UInt8]>, sentCodes: [[UInt8]], originalReads: [Int64]
  ) -> Bool {
    guard let after else { return false }
    let left = Set(after.scratchCodes.map { SecretFacts.decimal(UInt64($0), width: 8) })
    let others = readings.subtracting(left)
    guard others.count < readings.count else { return false }
    return others.contains { reading in
      let single: Set<[UInt8]> = [reading]
      return sentCodes.contains(reading) || before.firstHOTPCounter(matching: single) != nil
        || originalReads.contains { before.firstTOTPStep(matching: single, at: $0) != nil }
    }
  }

  /// The file with its TOTP_AUTH and HOTP_COUNTER lines dropped.
  static func scratchCodesOnly(_ bytes: [UInt8]) -> [UInt8] {
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    let kept = lines.filter { !$0.starts(with: "\" TOTP_AUTH".utf8) && !$0.starts(with: "\" HOTP_COUNTER".utf8) }
    return Array(kept.joined(separator: [0x0A]))
  }
}
