import CFleetLDAP

/// The fleet store (`ldap=FILE`): a login's tokens come from the directory,
/// and its judgement goes back there, before the module answers.
///
/// Users are found under `base` with `user_filter`; their tokens are the
/// OATH-LDAP entries under `tokenbase` whose `owner` is the user's DN, so a
/// user may have several (the user-to-token link of the schema holds one).
///
/// Both phases of a login read the tokens afresh. The second claims an
/// accepted code with one modify guarded by an assertion (RFC 4528), counts
/// a wrong one with an increment (RFC 4525), and in a `decoy` line sends
/// the same modifies with an assertion that never holds, so that it changes
/// nothing and takes as long.
struct FleetLogin {
  private(set) var directory: FleetDirectory
  let user: [UInt8]
  /// After a committed success: the token and what it claimed (for the
  /// local copy of `fleet_unavailable=local`).
  private(set) var accepted: (FleetToken, FleetPolicy.Writes.Claim)? = nil

  enum Opening {
    case ready(FleetLogin, LoginPolicy.Standing)
    case badConfiguration(String)
    /// No server answered (or one refused what any would): the reason.
    case unavailable(String)
  }

  /// Reads the configuration (root's, no access for others: it may hold
  /// the bind password) and the user's tokens, before any prompt.
  static func open(path: [UInt8], user: [UInt8]) -> Opening {
    var bytes = [UInt8](repeating: 0, count: 65_536)
    let length = withCString(path) { path in
      bytes.withUnsafeMutableBufferPointer { cfleet_read_private_file(path, $0.baseAddress, $0.count) }
    }
    let shown = ASCII.printable(path, limit: 200)
    guard length >= 0 else {
      let reason =
        length == Int(CFLEET_UNSAFE_FILE)
        ? "must be a regular file owned by root with no access for group or others" : "cannot be read"
      return .badConfiguration("ldap=\(shown): \(reason)")
    }
    let configuration: FleetConfiguration
    do throws(FleetConfiguration.ParseError) {
      configuration = try FleetConfiguration.parse(Array(bytes[0..<length]))
    } catch {
      return .badConfiguration("ldap=\(shown): \(error.description)")
    }
    for index in bytes.indices { bytes[index] = 0 }
    var login = FleetLogin(directory: FleetDirectory(configuration: configuration), user: user, accepted: nil)
    guard UserName.isValid(user) else { return .ready(login, .invalidUserName) }
    switch login.lookUp() {
    case .tokens(let tokens): return .ready(login, FleetPolicy.standing(tokens))
    case .notEnrolled: return .ready(login, .notEnrolled)
    case .unusable(let reason): return .unavailable(reason)
    case .unavailable: return .unavailable(login.directory.lastError)
    }
  }

  enum Lookup {
    case tokens([FleetToken])
    case notEnrolled
    case unusable(String)
    case unavailable
  }

  static let tokenAttributes = [
    "objectClass", "oathSecret", "oathTOTPParams", "oathHOTPParams", "oathTOTPLastTimeStep", "oathHOTPCounter",
    "oathFailureCount", "oathLastFailure", "oathTokenIdentifier",
  ]
  static let paramAttributes = [
    "oathOTPLength", "oathHMACAlgorithm", "oathTOTPTimeStepPeriod", "oathTOTPTimeStepWindow", "oathHOTPLookAhead",
  ]

  /// The user's tokens as the directory holds them now, in DN order.
  mutating func lookUp() -> Lookup {
    let configuration = directory.configuration
    let userFilter = configuration.filter(forUser: user)
    var users: [DirectoryEntry] = []
    var several = false
    var tokenEntries: [DirectoryEntry] = []
    var params: [DirectoryEntry] = []
    do throws(FleetDirectory.Failure) {
      try directory.withConnection { connection in
        let limit = configuration.timeLimit
        var (code, found) = connection.search(
          base: configuration.base, subtree: true, filter: userFilter, attributes: ["1.1"], limit: Int(limit),
          sizeLimit: 2)
        several = code == 4 || found.count > 1
        if several { return 0 }
        guard code == 0 else { return code }
        users = found
        guard let dn = found.first?.dn else { return 0 }
        let tokenFilter =
          Array("(&(owner=".utf8) + FleetConfiguration.escapeFilterValue(dn)
          + Array(")(|(objectClass=oathTOTPToken)(objectClass=oathHOTPToken)))".utf8)
        (code, found) = connection.search(
          base: configuration.tokenSearchBase, subtree: true, filter: tokenFilter, attributes: Self.tokenAttributes,
          limit: Int(limit), sizeLimit: 50)
        guard code == 0 else { return code }
        tokenEntries = found
        params = []
        var seen: [[UInt8]] = []
        for entry in found {
          for link in entry.values("oathTOTPParams") + entry.values("oathHOTPParams") where !seen.contains(link) {
            seen.append(link)
            let (code, entries) = connection.search(
              base: link, subtree: false, filter: Array("(objectClass=*)".utf8), attributes: Self.paramAttributes,
              limit: Int(limit), sizeLimit: 1)
            if code != 0 && code != 32 { return code }
            params += entries
          }
        }
        return 0
      }
    } catch {
      return .unavailable
    }
    if several { return .unusable("user_filter matches several entries") }
    guard !users.isEmpty, !tokenEntries.isEmpty else { return .notEnrolled }
    tokenEntries.sort { FleetConfiguration.lowercased($0.dn).lexicographicallyPrecedes(FleetConfiguration.lowercased($1.dn)) }
    var tokens: [FleetToken] = []
    for entry in tokenEntries {
      let link = entry.value("oathTOTPParams") ?? entry.value("oathHOTPParams")
      let param = link.flatMap { link in params.first { FleetConfiguration.lowercased($0.dn) == FleetConfiguration.lowercased(link) } }
      // A link to parameters that cannot be read (deleted, or hidden by an
      // access rule) must not quietly become the defaults: 6 digits where
      // 8 were meant would be a weaker token.
      if link != nil, param == nil {
        return .unusable("\(ASCII.printable(entry.dn, limit: 200)): its parameter entry cannot be read")
      }
      do throws(FleetToken.Problem) {
        tokens.append(try FleetToken(entry: entry, params: param))
      } catch {
        return .unusable("\(ASCII.printable(entry.dn, limit: 200)): \(error.description)")
      }
    }
    // The secrets are in the tokens now (SensitiveBytes, cleared when
    // released); the search's copies go.
    for entry in tokenEntries.indices {
      for attribute in tokenEntries[entry].attributes.indices
      where FleetConfiguration.lowercased(tokenEntries[entry].attributes[attribute].name) == Array("oathsecret".utf8) {
        for value in tokenEntries[entry].attributes[attribute].values.indices {
          SensitiveBytes.wipe(&tokenEntries[entry].attributes[attribute].values[value])
        }
      }
    }
    return .tokens(tokens)
  }

  enum Judged {
    case judged(LoginPolicy.Judgement)
    case notEnrolled
    case unusable(String)
    case unavailableBecause(String)
  }

  /// Phase two: the tokens read again, the answer judged, the claim and the
  /// count written (or, with `commit` false, rehearsed).
  mutating func judge(_ readings: AnswerReadings, policy: LoginPolicy, commit: Bool, localCopy: SecretFile? = nil)
    -> Judged
  {
    var tokens: [FleetToken]
    switch lookUp() {
    case .tokens(let found): tokens = found
    case .notEnrolled: return .notEnrolled
    case .unusable(let reason): return .unusable(reason)
    case .unavailable: return .unavailableBecause(directory.lastError)
    }
    if commit, let localCopy, let (index, claim) = FleetLocalCopy.pending(localCopy, tokens: tokens) {
      // Steps claimed here while the directory was away go to it first,
      // guarded like any claim, so no step goes backwards; then the tokens
      // are read again.
      let (changes, assertion) = Self.claimChange(claim)
      let dn = tokens[index].dn
      let limit = directory.operationLimit
      do throws(FleetDirectory.Failure) {
        try directory.withConnection { connection in connection.modify(dn, changes, assertion: assertion, limit: limit) }
      } catch {
        return .unavailableBecause(directory.lastError)
      }
      switch lookUp() {
      case .tokens(let found): tokens = found
      case .notEnrolled: return .notEnrolled
      case .unusable(let reason): return .unusable(reason)
      case .unavailable: return .unavailableBecause(directory.lastError)
      }
    }
    let fleet = FleetPolicy(policy: policy)
    var (judgement, writes) = fleet.judge(readings, tokens: tokens, at: clock())
    guard case .verdict(_, _, _, _, let now, _, _) = judgement else { return .judged(judgement) }
    let never = Array("(!(objectClass=*))".utf8)
    let limit = directory.operationLimit
    do throws(FleetDirectory.Failure) {
      if let (index, claim) = writes.claim {
        let (claimChanges, assertion) = Self.claimChange(claim)
        var changes = claimChanges
        changes.append((.replace, "oathLastLogin", GeneralizedTime.format(now)))
        if index == 0, writes.clearFailures { changes.append((.replace, "oathFailureCount", Self.decimal(0))) }
        let dn = tokens[index].dn
        let code = try directory.withConnection { connection in
          connection.modify(dn, changes, assertion: commit ? assertion : never, limit: limit)
        }
        if code == 0 && commit { accepted = (tokens[index], claim) }
        if code == 122 && commit {
          // Another host claimed this step or counter (or a later one) first.
          (judgement, writes) = fleet.refusedClaim(judgement)
        } else if code != 0 && commit {
          return .unusable("claim on \(ASCII.printable(dn, limit: 200)) refused: \(FleetDirectory.text(code))")
        } else if index != 0, writes.clearFailures {
          let first = tokens[0].dn
          try directory.withConnection { connection in
            connection.modify(
              first, [(.replace, "oathFailureCount", Self.decimal(0))], assertion: commit ? nil : never, limit: limit)
          }
        }
      }
      if writes.failure {
        let first = tokens[0].dn
        let stamp = GeneralizedTime.format(now)
        let code = try directory.withConnection { connection in
          var code = connection.modify(
            first, [(.increment, "oathFailureCount", Self.decimal(1)), (.replace, "oathLastFailure", stamp)],
            assertion: commit ? nil : never, limit: limit)
          if code == 16 && commit {
            // No count yet: the first wrong code adds it, unless another
            // host just did, and then counts on top.
            code = connection.modify(
              first, [(.add, "oathFailureCount", Self.decimal(1)), (.replace, "oathLastFailure", stamp)],
              assertion: Array("(!(oathFailureCount=*))".utf8), limit: limit)
            if code == 122 || code == 20 {
              code = connection.modify(
                first, [(.increment, "oathFailureCount", Self.decimal(1)), (.replace, "oathLastFailure", stamp)],
                assertion: nil, limit: limit)
            }
          }
          return code
        }
        if code != 0 && commit {
          return .unusable("failure count on \(ASCII.printable(first, limit: 200)) refused: \(FleetDirectory.text(code))")
        }
      }
    } catch {
      return .unavailableBecause(directory.lastError)
    }
    return .judged(judgement)
  }

  /// The modify that claims a step or counter, and its assertion: only
  /// if the directory's value is still below.
  static func claimChange(_ claim: FleetPolicy.Writes.Claim) -> ([(Connection.Operation, String, [UInt8]?)], [UInt8]) {
    switch claim {
    case .step(let step):
      return (
        [(.replace, "oathTOTPLastTimeStep", decimal(step))],
        Array("(!(oathTOTPLastTimeStep>=".utf8) + decimal(step) + Array("))".utf8)
      )
    case .counter(let next):
      let value = decimal(Int64(clamping: next))
      return ([(.replace, "oathHOTPCounter", value)], Array("(!(oathHOTPCounter>=".utf8) + value + Array("))".utf8))
    }
  }

  static func decimal(_ value: Int64) -> [UInt8] {
    if value == 0 { return [UInt8(ascii: "0")] }
    var digits: [UInt8] = []
    var rest = value.magnitude
    while rest > 0 {
      digits.insert(UInt8(ascii: "0") + UInt8(rest % 10), at: 0)
      rest /= 10
    }
    return value < 0 ? [UInt8(ascii: "-")] + digits : digits
  }
}
