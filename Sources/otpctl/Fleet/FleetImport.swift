import CCrypto
import OTPCore
import OTPStore

/// `import ga|oath|pskc --ldap FILE`: the imported tokens become token
/// entries in the directory, with the administrator's bind.
///
/// As in the file store, everything is decided user by user first: a token
/// whose secret one of the user's entries holds already is not added again
/// (a second run changes nothing); a NAME another of the user's tokens
/// bears, a user the directory does not know, or more tokens than a user
/// may hold is refused, and one refused user stops the import before
/// anything is written. Each user's new entries are then created; when one
/// cannot be, that user's entries created so far are deleted again (the
/// users before keep theirs; the rest are not touched).
///
/// Kept: the next HOTP counter (`oathHOTPCounter`, as the module reads it)
/// and the last TOTP step accepted (`oathTOTPLastTimeStep`, refused from
/// then on). Not kept: a GA file's scratch codes and rate limit (the
/// directory holds neither).
enum FleetImport {
  struct UserPlan {
    let user: String
    var owner: [UInt8] = []
    var existingCount = 0
    var additions: [(token: ImportedToken, spec: FleetTokenSpec)] = []
    var present: [ImportedToken] = []
    var refusal: String? = nil
    /// A refusal because of what the user holds already (as the file
    /// store's conflicts: exit 73), not because of bad input.
    var isConflict = false
    var notes: [String] = []
  }

  /// Returns the users whose tokens are all in the directory afterwards.
  static func run(_ tokens: [ImportedToken], path: String, dryRun: Bool) throws(CLIError) -> [String] {
    var admin = try FleetAdmin(path: path)
    var order: [String] = []
    var byUser: [String: [ImportedToken]] = [:]
    for token in tokens {
      if byUser[token.user] == nil { order.append(token.user) }
      byUser[token.user, default: []].append(token)
    }
    var plans: [UserPlan] = []
    for user in order { plans.append(try plan(user, byUser[user] ?? [], admin: &admin)) }
    let refused = plans.contains { $0.refusal != nil }
    if dryRun || refused {
      if dryRun { print("Dry run: nothing is written.") }
      for plan in plans { for line in lines(plan, done: nil) { print(line) } }
      if refused {
        let conflictsOnly = plans.allSatisfy { $0.refusal == nil || $0.isConflict }
        throw CLIError(conflictsOnly ? .exists : .dataError, "refused for the users above; nothing was written")
      }
      return order
    }
    var done: [String] = []
    for plan in plans {
      var created: [String] = []
      for addition in plan.additions {
        do {
          created.append(try admin.add(addition.spec, owner: plan.owner, user: plan.user, existingCount: plan.existingCount + created.count))
        } catch {
          var putBack = true
          for dn in created.reversed() {
            do { try admin.delete(Array(dn.utf8)) } catch { putBack = false }
          }
          print("\(plan.user): failed: \(error.message)")
          throw CLIError(
            error.kind,
            "\(plan.user): \(putBack ? "the entries made for this user were deleted again" : "some entries made for this user could not be deleted")"
              + (done.isEmpty ? "" : "; imported before it: \(done.joined(separator: ", "))")
              + "; the users after it were not touched")
        }
      }
      for line in lines(plan, done: created) { print(line) }
      done.append(plan.user)
    }
    return done
  }

  static func plan(_ user: String, _ tokens: [ImportedToken], admin: inout FleetAdmin) throws(CLIError) -> UserPlan {
    var plan = UserPlan(user: user)
    plan.notes = tokens.flatMap(\.notes)
    do throws(CLIError) {
      plan.owner = try admin.userDN(user)
    } catch {
      guard error.kind == .unknownUser || error.kind == .dataError else { throw error }
      plan.refusal = error.message
      return plan
    }
    let existing = try admin.tokens(of: plan.owner, withSecrets: true)
    plan.existingCount = existing.count
    var names = existing.map(FleetAdmin.name(of:))
    var secrets = existing.compactMap { $0.value("oathSecret") }
    defer { for index in secrets.indices { SensitiveBytes.wipe(&secrets[index]) } }
    // Explicit NAMEs first, so that a derived name never takes one.
    let indices = tokens.indices.filter { tokens[$0].name != nil } + tokens.indices.filter { tokens[$0].name == nil }
    let distinct = tokens.indices.filter { index in
      !tokens[..<index].contains { sameSecret($0.secret, tokens[index].secret) }
    }.count
    var additions: [Int: FleetTokenSpec] = [:]
    for index in indices {
      let token = tokens[index]
      let held = token.secret.withUnsafeBytes { secret in
        secrets.contains { $0.count == secret.count && sameBytes($0, secret) }
      }
      if held {
        plan.present.append(token)
        continue
      }
      let name: String
      if let given = token.name {
        guard !names.contains(where: { OTPToken.sameName($0, given) }) else {
          plan.isConflict = true
          plan.refusal =
            "the user has a token named \(given) with another secret (\(token.source)); "
            + "choose another NAME or rename theirs (otpctl token rename --ldap)"
          return plan
        }
        name = given
      } else if existing.isEmpty && distinct == 1 && !names.contains(OTPToken.defaultName) {
        name = OTPToken.defaultName
      } else {
        guard let free = token.nameCandidates().first(where: { candidate in !names.contains { OTPToken.sameName($0, candidate) } })
        else {
          plan.isConflict = true
          plan.refusal = "no free name for the token (\(token.source)); give it a NAME"
          return plan
        }
        name = free
      }
      do throws(ImportPlan.Refusal) {
        additions[index] = try spec(token, name: name)
      } catch {
        plan.isConflict = error.reason == .conflict
        plan.refusal = error.message
        return plan
      }
      names.append(name)
      secrets.append(token.secret.copyBytes())
    }
    plan.additions = tokens.indices.compactMap { index in additions[index].map { (tokens[index], $0) } }
    if existing.count + plan.additions.count > OTPToken.maximumCount {
      plan.isConflict = true
      plan.refusal = "the user would hold more than \(OTPToken.maximumCount) tokens"
    }
    return plan
  }

  /// The entry's secret, settings and state; a GA file's first token with
  /// its used steps or counter.
  static func spec(_ token: ImportedToken, name: String) throws(ImportPlan.Refusal) -> FleetTokenSpec {
    if let gaFile = token.gaFile {
      guard gaFile.tokens.count == 1 else {
        throw ImportPlan.Refusal(
          reason: .conflict, message: "\(token.source) holds \(gaFile.tokens.count) tokens; the directory takes one per file")
      }
      let primary = gaFile.primary
      if case .scratchCodesOnly = primary.mode {
        throw ImportPlan.Refusal(reason: .invalid, message: "\(token.source) has scratch codes only; the directory holds app tokens")
      }
      let file = SecretFile(
        secret: primary.secret, mode: primary.mode, algorithm: primary.algorithm, digits: primary.digits,
        stepSize: primary.stepSize, windowSize: primary.windowSize)
      return FleetTokenSpec(name: name, file: file, lastStep: primary.mode == .totp ? primary.usedSteps?.max() : nil)
    }
    let algorithm = token.algorithm == .sha1 ? nil : token.algorithm
    let digits = token.digits == 6 ? nil : token.digits
    switch token.kind {
    case .totp(let step, let lastUsedStep):
      let file = SecretFile(
        secret: token.secret, mode: .totp, algorithm: algorithm, digits: digits,
        stepSize: step == SecretFile.defaultStepSize ? nil : step, windowSize: SecretFile.defaultWindowSize)
      return FleetTokenSpec(name: name, file: file, lastStep: lastUsedStep)
    case .hotp(let nextCounter):
      let file = SecretFile(
        secret: token.secret, mode: .hotp(nextCounter: nextCounter), algorithm: algorithm, digits: digits,
        windowSize: SecretFile.defaultWindowSize)
      return FleetTokenSpec(name: name, file: file)
    }
  }

  /// The plan's lines (`done`: the DNs created, after a real run).
  static func lines(_ plan: UserPlan, done: [String]?) -> [String] {
    var lines: [String] = []
    if let refusal = plan.refusal {
      lines.append("\(plan.user): refused: \(refusal)")
    } else {
      for (index, addition) in plan.additions.enumerated() {
        let name = addition.spec.name ?? "?"
        let summary = "\(addition.token.summary) (\(addition.token.source))"
        if let done, index < done.count {
          lines.append("\(plan.user): added token \(name) as \(done[index]): \(summary)")
        } else {
          lines.append("\(plan.user): would add token \(name) to the directory: \(summary)")
        }
      }
      for token in plan.present {
        lines.append("\(plan.user): unchanged: the directory holds the token of \(token.source) already")
      }
      if plan.additions.contains(where: { $0.token.gaFile?.scratchCodes.isEmpty == false }) {
        lines.append("    note: the directory keeps no scratch codes; the GA file's are not imported")
      }
    }
    lines += plan.notes.map { "    note: \($0)" }
    return lines
  }

  private static func sameSecret(_ lhs: SensitiveBytes, _ rhs: SensitiveBytes) -> Bool {
    lhs.withUnsafeBytes { left in
      rhs.withUnsafeBytes { right in
        left.count == right.count && left.count > 0 && CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
      }
    }
  }

  private static func sameBytes(_ lhs: [UInt8], _ rhs: UnsafeRawBufferPointer) -> Bool {
    lhs.count == rhs.count && lhs.count > 0
      && lhs.withUnsafeBytes { CRYPTO_memcmp($0.baseAddress, rhs.baseAddress, lhs.count) == 0 }
  }
}
