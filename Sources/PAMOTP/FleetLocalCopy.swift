import CPAM

/// `fleet_unavailable=local`: while the directory answers, every success
/// is also recorded in a local copy, the `secret=` file (root's, like any
/// secret file): the token's secret and parameters and the steps or
/// counter it claimed. When no server answers, the login is an ordinary
/// file-store login on that copy, logged loudly. When the directory is back,
/// the next judged answer first pushes the steps claimed locally, with the
/// same assertion as any claim, so no step goes backwards.
///
/// What it trades: during an outage each cut-off host judges alone, so a
/// code can be used once on each of them, and wrong codes count per host.
struct FleetLocalCopy {
  let options: ModuleOptions
  let user: [UInt8]

  /// The local copy, if `local` is configured and there is one.
  func read() -> SecretFile? {
    guard options.fleetUnavailableLocal, case .found(let found) = SecretLookup(options: options, user: user).find(),
      case .enrolled(let file) = found.standing
    else { return nil }
    return file
  }

  /// Records a committed success in the local copy.
  func save(_ token: FleetToken, _ claim: FleetPolicy.Writes.Claim, pam: PAMHandle) {
    guard options.fleetUnavailableLocal, !options.decoy,
      case .found(let found) = SecretLookup(options: options, user: user).find(), let store = found.store
    else { return }
    var fresh = token.file
    fresh.failures = nil
    fresh.rateLimit = nil
    Self.record(claim, in: &fresh)
    do throws(StoreError) {
      if case .enrolled(let existing) = found.standing, Self.sameSecret(existing, token.file) {
        let update = try store.update(from: found.snapshot) { file in Self.record(claim, in: &file) }
        if let error = update.writeError { throw error }
      } else {
        // No copy yet, or one of another secret (the token was replaced).
        try store.create(fresh, owner: Account(uid: 0, gid: 0), mode: 0o600, replacing: found.snapshot != nil)
      }
    } catch {
      pam.log(LOG_WARNING, "\(LogFields.context(pam, user: user)) local copy not saved: \(error.description)")
    }
  }

  static func record(_ claim: FleetPolicy.Writes.Claim, in file: inout SecretFile) {
    switch claim {
    case .step(let step):
      if file.usedSteps == nil { file.usedSteps = [] }
      // Steps far behind can no longer be accepted: the list stays short.
      _ = file.claimTimeStep(step, window: (step - 100)...(step + 100))
    case .counter(let next):
      if case .hotp(let current) = file.mode, current < next { file.mode = .hotp(nextCounter: next) }
    }
  }

  static func sameSecret(_ left: SecretFile, _ right: SecretFile) -> Bool {
    var a = left.secret.copyBytes()
    var b = right.secret.copyBytes()
    defer {
      SensitiveBytes.wipe(&a)
      SensitiveBytes.wipe(&b)
    }
    return a == b
  }

  /// What the local copy claimed beyond the directory's token of the same
  /// secret: the step or counter to push.
  static func pending(_ copy: SecretFile, tokens: [FleetToken]) -> (Int, FleetPolicy.Writes.Claim)? {
    guard let index = tokens.firstIndex(where: { sameSecret(copy, $0.file) }) else { return nil }
    let token = tokens[index]
    switch (copy.mode, token.file.mode) {
    case (.hotp(let local), .hotp(let directory)) where local > directory:
      return (index, .counter(next: local))
    case (.totp, .totp):
      guard let local = copy.usedSteps?.max(), local > (token.lastStep ?? -1) else { return nil }
      return (index, .step(local))
    default: return nil
    }
  }
}

extension FleetLogin {
  enum Start {
    case fleet(FleetLogin, LoginPolicy.Standing)
    /// `fleet_unavailable=local` with the directory away: the local copy.
    case local(SecretLookup.Found)
    case end(Outcome)
  }

  /// The opening of a fleet login, and what happens when no server answers.
  static func start(_ pam: PAMHandle, options: ModuleOptions, path: [UInt8], user: [UInt8]) -> Start {
    switch open(path: path, user: user) {
    case .ready(let opened, let standing): return .fleet(opened, standing)
    case .badConfiguration(let reason): return .end(.badConfiguration(reason: reason))
    case .unavailable(let reason):
      let context = LogFields.context(pam, user: user)
      guard options.fleetUnavailableLocal else {
        pam.log(LOG_ERR, "\(context) directory: \(reason)")
        return .end(.decided(.directoryUnavailable, problem: nil))
      }
      // Loud: every host that does this judges alone until the directory is back.
      pam.log(
        LOG_ALERT, "\(context) directory unavailable (\(reason)); fleet_unavailable=local: verifying against the local copy")
      switch SecretLookup(options: options, user: user).find() {
      case .found(let found):
        // No copy is not "not enrolled": the user may well be, in the
        // directory, and nullok must not let them through.
        if case .notEnrolled = found.standing { return .end(.decided(.directoryUnavailable, problem: nil)) }
        return .local(found)
      case .badConfiguration(let reason): return .end(.badConfiguration(reason: reason))
      }
    }
  }
}
