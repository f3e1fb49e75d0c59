import CModuleFaults
import CPAM
import Glibc

/// The module options the invariants depend on, read from the arguments
/// the harness passed. Only canonical values are trusted (`backoff=30`,
/// not `backoff=030`): where the module's reading could differ from this
/// one, the checks that depend on it are skipped rather than guessed.
struct OptionModel {
  var decoy = false
  var allowReadonly = false
  var gracePeriod: Int64 = 0
  // The README's defaults.
  var backoffInitial: Int64 = 30
  var backoffFree: Int64 = 3
  var backoffMaximum: Int64? = nil
  var maximumSends: Int64 = 5
  var sendWindow: Int64 = 3600
  /// A value this model cannot read with certainty.
  var uncertain = false

  init(_ arguments: [[UInt8]]) {
    var seen: Set<String> = []
    for argument in arguments {
      let equals = argument.firstIndex(of: UInt8(ascii: "=")) ?? argument.endIndex
      let name = String(decoding: argument[..<equals], as: UTF8.self)
      let value = equals < argument.endIndex ? Array(argument[(equals + 1)...]) : nil
      switch (name, value) {
      case ("max_sends", _):
        let parts = (value ?? []).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Self.canonical(Array(parts[0])), let window = Self.canonical(Array(parts[1])),
          !seen.contains(name)
        else {
          uncertain = true
          continue
        }
        seen.insert(name)
        (maximumSends, sendWindow) = (count, window)
      case ("decoy", nil): decoy = true
      case ("allow_readonly", nil): allowReadonly = true
      case ("grace_period", _), ("backoff", _), ("backoff_after", _), ("backoff_max", _):
        guard let number = value.flatMap(Self.canonical), !seen.contains(name) else {
          uncertain = true
          continue
        }
        seen.insert(name)
        switch name {
        case "grace_period": gracePeriod = number
        case "backoff": backoffInitial = number
        case "backoff_after": backoffFree = number
        default: backoffMaximum = number
        }
      default: break
      }
    }
  }

  /// A decimal number as the harness's seeds write one: no sign, no
  /// leading zero, at most 9 digits.
  static func canonical(_ text: [UInt8]) -> Int64? {
    guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
      text.count == 1 || text.first != 0x30
    else { return nil }
    return Int64(String(decoding: text, as: UTF8.self))
  }

  /// The shortest wait the back-off may impose after `count` wrong codes:
  /// at least the first delay once the free failures are used up (the
  /// doubling only makes it longer), capped by `backoff_max`.
  func minimumBackoff(afterFailures count: Int) -> Int64 {
    guard backoffInitial > 0, Int64(count) >= backoffFree else { return 0 }
    return min(backoffInitial, backoffMaximum ?? backoffInitial)
  }
}

/// A broken promise: printed with the run's context, then the process
/// aborts so that libFuzzer saves the input.
struct Violation: Error {
  /// A short name of the broken promise, as reports and the
  /// MODULE_FAULTS_KNOWN_DEFECTS list spell it.
  let kind: String
  let message: String

  init(_ kind: String, _ message: String) {
    self.kind = kind
    self.message = message
  }
}

/// The checks made after every login. See Tests/Fuzz/README.md.
struct Invariants {
  let scenario: Scenario
  let setup: LoginSetup
  let result: LoginResult
  let options: OptionModel
  let before: Sandbox.FileState?
  let after: Sandbox.FileState?
  let facts: SecretFacts?
  let listingBefore: [String]
  let listingAfter: [String]
  /// With `link`: the file behind the hard or symbolic link.
  let protectedBefore: Sandbox.FileState?
  let protectedAfter: Sandbox.FileState?
  /// The file stray links point at, after the login.
  let victimAfter: [UInt8]?

  /// errno values with which `allow_readonly` may still accept a TOTP code:
  /// the file system refuses writes (issue 9: never EPERM, EACCES, ...).
  static let fileSystemRefusals: Set<Int32> = [EROFS, ENOSPC, EDQUOT]

  var succeeded: Bool { result.status == PAM_SUCCESS }

  func check() throws(Violation) {
    guard result.status >= 0 && result.status < 32 else {
      throw Violation("bad-status", "pam_sm_authenticate returned \(result.status), not a PAM status")
    }
    guard result.identityLeft == (0, 0) else {
      throw Violation(
        "identity-not-restored",
        "the module returned with the file system identity \(result.identityLeft.uid):\(result.identityLeft.gid)")
    }
    if options.decoy {
      guard !succeeded else { throw Violation("decoy-success", "a decoy line returned PAM_SUCCESS") }
      guard after == before else { throw Violation("decoy-changed-file", "a decoy line changed the secret file") }
      guard listingAfter == listingBefore else {
        throw Violation("decoy-left-files", "a decoy line left files behind: \(listingBefore) -> \(listingAfter)")
      }
      guard result.spawned == 0 else { throw Violation("decoy-sent-code", "a decoy line ran the deliver= program") }
    }
    try logLinesAreClean()
    guard victimAfter == Sandbox.victimContents else {
      throw Violation("wrote-through-link", "the module wrote through a link it did not create")
    }
    if let link = scenario.link {
      guard !succeeded else { throw Violation("unsafe-file-accepted", "PAM_SUCCESS through a \(link.name) at the secret path") }
      guard protectedAfter == protectedBefore else {
        throw Violation("unsafe-file-changed", "the module changed a file through a \(link.name)")
      }
    }
    if scenario.delivery == .unsafe && result.spawned > 0 {
      throw Violation("unsafe-program-ran", "the module ran a deliver= program that everyone can write")
    }
    guard let before else {
      guard !succeeded else { throw Violation("success-without-file", "PAM_SUCCESS for a user without a secret file") }
      guard after == nil else { throw Violation("created-file", "the module created a secret file") }
      return
    }
    guard let facts else {
      guard !succeeded else { throw Violation("success-unparsable-file", "PAM_SUCCESS with a secret file that does not parse") }
      return
    }
    guard let after else { throw Violation("file-gone", "the secret file is gone after the login") }
    guard SecretFacts(parsing: after.bytes) != nil else {
      throw Violation("unparsable-after", "the module left a secret file that no longer parses")
    }
    if after.bytes != before.bytes {
      guard after.uid == before.uid, after.mode == before.mode else {
        throw Violation(
          "owner-mode-changed",
          "the rewritten file has owner \(after.uid) mode \(String(after.mode, radix: 8)), "
            + "was \(before.uid) mode \(String(before.mode, radix: 8))")
      }
    }
    try secretNeverShown(facts: facts, before: before)
    if !succeeded && rightCodeMustSucceed(facts: facts, before: before) {
      throw Violation("right-code-refused", "a fresh right code was refused (status \(result.status))")
    }
    try noSendsPastTheCap(facts: facts)
    guard succeeded else { return }
    try noSuccessPastTheLimits(facts: facts)
    try noSuccessForAStranger()
  }

  /// The rate limit and the back-off in force at the start, at every clock
  /// value the module read, allow no success (only a grace-period login
  /// skips both).
  func noSuccessPastTheLimits(facts: SecretFacts) throws(Violation) {
    let reads = result.clockReads
    guard !reads.isEmpty, !options.uncertain, !gracePossible(facts: facts) else { return }
    if let limit = facts.rateLimit, reads.allSatisfy({ now in
      let (start, overflow) = now.subtractingReportingOverflow(limit.interval)
      return !overflow && limit.times.filter { $0 >= start && $0 <= now }.count >= limit.attempts
    }) {
      throw Violation("success-rate-limited", "PAM_SUCCESS while over the rate limit (\(limit.attempts) in \(limit.interval) s)")
    }
    if let failures = facts.failures {
      let wait = options.minimumBackoff(afterFailures: failures.count)
      let (end, overflow) = failures.last.addingReportingOverflow(wait)
      if wait > 0, reads.allSatisfy({ $0 >= failures.last && (overflow || $0 < end) }) {
        throw Violation(
          "success-backing-off", "PAM_SUCCESS during a back-off (\(failures.count) wrong codes, the last at \(failures.last))")
      }
    }
  }

  /// An unknown user is refused (the README's results table), whatever
  /// file the name leads to; judged without `user=`, which names the
  /// account itself.
  func noSuccessForAStranger() throws(Violation) {
    guard !setup.arguments.contains(where: { $0.starts(with: "user=".utf8) }), let name = setup.user.name else { return }
    var entry = passwd()
    var found: UnsafeMutablePointer<passwd>? = nil
    var buffer = [CChar](repeating: 0, count: 4096)
    let status = withOptionalCString(name) { getpwnam_r($0!, &entry, &buffer, buffer.count, &found) }
    guard status == 0, found == nil else { return }
    throw Violation("stranger-accepted", "PAM_SUCCESS for \(String(decoding: name, as: UTF8.self)), who is no account")
  }

  /// The other side of the promises: where nothing can stand in the way,
  /// a right code gets in. Only a plain case is judged, so that no
  /// legitimate refusal can be mistaken for a defect: no fault fired, a
  /// steady present-day clock, options that cannot refuse a right code,
  /// an existing account, a file its owner may use, no rate limit or
  /// back-off near, and a first answer that is the current TOTP code, the
  /// next HOTP code or a scratch code, never used before.
  func rightCodeMustSucceed(facts: SecretFacts, before: Sandbox.FileState) -> Bool {
    let harmless: Set<String> = [
      "debug", "echo_verification_code", "noskewadj", "no_increment_hotp", "allow_readonly", "nullok",
    ]
    let userArguments = setup.arguments.filter { !$0.starts(with: "secret=".utf8) }
    guard result.fired.isEmpty, setup.clockSteps.isEmpty, (1_000_000_000...100_000_000_000).contains(setup.clockBase),
      scenario.link == nil, scenario.directoryMode == nil, scenario.padding == 0,
      userArguments.allSatisfy({ harmless.contains(String(decoding: $0, as: UTF8.self)) }),
      case .item(let user) = setup.user, user == Array("root".utf8) || user == Array("nobody".utf8),
      before.mode & ~0o600 == 0
    else { return false }
    switch scenario.layout {
    case .rootUser, .rootFixed:
      guard before.uid == 0, before.gid == 0 else { return false }
    case .homeUser, .homeFixed:
      // The user's own file in their own directory. Its group need not be
      // the user's primary group: issue 9, item 6.
      guard user == Array("nobody".utf8), before.uid == Sandbox.nobody, before.mode & 0o400 != 0 else { return false }
    }
    let now = setup.clockBase
    if let failures = facts.failures, failures.count >= 3 { return false }
    if let limit = facts.rateLimit {
      let recent = limit.times.filter { $0 >= now - limit.interval && $0 <= now + limit.interval }
      guard recent.count + 1 < limit.attempts else { return false }
    }
    guard case .answer(let answer)? = setup.replies.first, answer.parts.count == 1 else { return false }
    // An 8-digit code that is also a scratch code counts as the scratch code.
    let scratchCodes = facts.scratchCodes.map { SecretFacts.decimal(UInt64($0), width: 8) }
    switch (answer.parts[0], facts.mode) {
    case (.totp(0), .totp):
      // The module claims the first step of the window with this code,
      // which may (rarely) be an earlier one than the current step.
      guard let code = facts.totp(at: now, offset: 0), let step = facts.firstTOTPStep(matching: [code], at: now),
        !(facts.usedSteps ?? []).contains(step)
      else { return false }
      return !scratchCodes.contains(code)
    case (.hotp(0), .hotp(let counter)):
      return !scratchCodes.contains(facts.hotp(counter: counter))
    case (.scratch, _):
      return !scratchCodes.isEmpty
    default:
      return false
    }
  }

  /// `max_sends=N/SECONDS`: with a steady clock, the codes sent in this
  /// login and those sent in the window before it are at most N.
  func noSendsPastTheCap(facts: SecretFacts) throws(Violation) {
    guard result.spawned > 0, !options.uncertain, setup.clockSteps.isEmpty else { return }
    let now = setup.clockBase
    let (start, overflow) = now.subtractingReportingOverflow(options.sendWindow)
    guard !overflow else { return }
    let earlier = facts.deliveryTimes.filter { $0 > start && $0 <= now }.count
    if Int64(earlier) + Int64(result.spawned) > options.maximumSends {
      throw Violation(
        "sends-past-the-cap",
        "\(result.spawned) code(s) sent after \(earlier) in the last \(options.sendWindow) s (max_sends \(options.maximumSends))")
    }
  }

  /// Whether a grace-period login (no code) was possible at some read.
  func gracePossible(facts: SecretFacts) -> Bool {
    guard options.gracePeriod > 0, let host = setup.remoteHost else { return false }
    return facts.lastLogins.contains { login in
      login.host == host
        && result.clockReads.contains { $0 >= login.time && $0 < login.time &+ options.gracePeriod }
    }
  }

  /// The Base32 secret never appears in a log line or a message, unless
  /// the input itself put it somewhere the module may echo.
  func secretNeverShown(facts: SecretFacts, before: Sandbox.FileState) throws(Violation) {
    let line = Array(before.bytes.prefix { $0 != 0x0A }.filter { $0 != 0x0D && $0 != 0x20 && $0 != 0x09 })
    guard line.count >= 16 else { return }
    var inputs: [[UInt8]] = scenario.options + [setup.authenticationToken ?? []]
    inputs += [setup.user.name ?? [], setup.remoteHost ?? [], setup.tty ?? [], setup.service ?? []]
    inputs += result.typed.compactMap { if case .literal(let bytes) = $0 { bytes } else { nil } }
    guard !inputs.contains(where: { Self.contains($0, line) }) else { return }
    for text in result.logLines + result.shown where Self.contains(text, line) {
      throw Violation("secret-shown", "the secret appears in: \(String(decoding: text, as: UTF8.self))")
    }
  }

  /// Every client-controlled byte in a log line is escaped: no control
  /// characters, nothing outside ASCII but the bullets of a masked address,
  /// no second `result=` a reader would trust. And no code typed by the
  /// user is written there.
  func logLinesAreClean() throws(Violation) {
    let bullet: [UInt8] = [0xE2, 0x80, 0xA2]
    // Codes are runs of digits typed by the user that no other input (the
    // items, the options, the file, which error messages may quote) holds.
    let items = [setup.user.name ?? [], setup.remoteHost ?? [], setup.tty ?? [], setup.service ?? []]
    // Items appear percent-escaped too, and %XX may run into their digits.
    let inputs: [[UInt8]] = scenario.options + items + items.map(Self.percentEscaped) + [scenario.file ?? []]
    let typed = result.typed.compactMap { if case .literal(let bytes) = $0 { bytes } else { nil } }
    let codes = Set((typed + [setup.authenticationToken ?? []]).flatMap(Self.digitRuns)).filter { code in
      !inputs.contains { Self.contains($0, code) }
    }
    for line in result.logLines {
      let text = String(decoding: line, as: UTF8.self)
      var index = 0
      while index < line.count {
        if line[index...].starts(with: bullet) {
          index += bullet.count
          continue
        }
        guard line[index] >= 0x20 && line[index] < 0x7F else {
          throw Violation("log-injection", "a log line holds the byte \(line[index]) unescaped: \(text)")
        }
        index += 1
      }
      guard Self.occurrences(of: Array(" result=".utf8), in: line) <= 1 else {
        throw Violation("log-injection", "a log line holds two results: \(text)")
      }
      // The private directory's name holds the harness's process id.
      let root = Array((Harness.shared?.sandbox.root ?? "/").utf8)
      let withoutPath = Self.removing(root, from: line)
      if let code = Self.digitRuns(withoutPath).first(where: { codes.contains($0) }) {
        throw Violation("code-logged", "a typed code (\(String(decoding: code, as: UTF8.self))) is in a log line: \(text)")
      }
    }
  }

  /// A value as log lines show client-controlled fields: every byte but
  /// printable ASCII other than `=`, `"` and `%` as %XX.
  static func percentEscaped(_ value: [UInt8]) -> [UInt8] {
    let hex = Array("0123456789ABCDEF".utf8)
    return value.flatMap { byte -> [UInt8] in
      let plain = byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"")
        && byte != UInt8(ascii: "%")
      return plain ? [byte] : [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
    }
  }

  /// Runs of six or more digits: what could be a code.
  static func digitRuns(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.split { $0 < 0x30 || $0 > 0x39 }.filter { $0.count >= 6 }.map(Array.init)
  }

  /// `allow_readonly` and a write the file system refused: the TOTP code
  /// may be accepted without its step reaching the file.
  var readOnlyAcceptancePossible: Bool {
    let writeKinds: Set<Int32> = [
      Int32(FAULT_OPEN.rawValue), Int32(FAULT_WRITE.rawValue), Int32(FAULT_FSYNC.rawValue),
      Int32(FAULT_RENAME.rawValue), Int32(FAULT_CHOWN.rawValue), Int32(FAULT_CHMOD.rawValue),
    ]
    return options.allowReadonly
      && result.fired.contains { writeKinds.contains($0.kind) && Self.fileSystemRefusals.contains($0.error) }
  }

  /// Defects already filed, recognised by the shape of the violation, so
  /// that a run exploring the rest can go past them
  /// (MODULE_FAULTS_KNOWN_DEFECTS=negative-time,...). scripts/fuzz never
  /// sets it: the saved regressions fail until the defects are fixed.
  func knownDefect(_ violation: Violation) -> String? {
    // Issue 9, item 12: arguments past the 256th are silently dropped, so
    // a late `decoy` (or anything else) there is not applied.
    if setup.arguments.count > 256 { return "arguments-dropped" }
    let lines = (after?.bytes ?? []).split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    switch violation.kind {
    case "unparsable-after":
      // Issue 9, item 11: a HOTP counter past 19 digits is written back.
      if lines.contains(where: { $0.hasPrefix("\" HOTP_COUNTER ") && $0.count >= 15 + 20 }) {
        return "hotp-counter-overflow"
      }
      // Issue 9, item 12: a clock before 1970 is written as negative times
      // (and one after 999,999,999,999 as times of 13 digits or more).
      let times = ["\" RATE_LIMIT ", "\" FAILURES ", "\" DISALLOW_REUSE ", "\" DELIVERIES ", "\" DELIVERY_CODE ", "\" LAST"]
      if lines.contains(where: { line in times.contains { line.hasPrefix($0) } && Self.hasTimeOutOfRange(line) }) {
        return "time-out-of-range"
      }
    case "stranger-accepted":
      // Issue 9, item 12: a name that is not an account logs in when a
      // root-owned file exists at the path it expands to.
      return "stranger-accepted"
    case "log-injection":
      // Issue 9, item 8: a path or reason reaches the log unescaped.
      return "log-injection"
    case "right-code-refused":
      // Issue 9, item 6: a home file whose group is not the user's primary
      // group can never be updated.
      if scenario.layout.inHome && before?.gid != Sandbox.nobody { return "home-group-lockout" }
    case "replay-succeeded":
      // Issue 9, item 5: allow_readonly accepts after any write error, and HOTP codes too.
      let writeKinds: Set<Int32> = [
        Int32(FAULT_OPEN.rawValue), Int32(FAULT_WRITE.rawValue), Int32(FAULT_FSYNC.rawValue),
        Int32(FAULT_RENAME.rawValue), Int32(FAULT_CHOWN.rawValue), Int32(FAULT_CHMOD.rawValue),
      ]
      if options.allowReadonly && result.fired.contains(where: { writeKinds.contains($0.kind) }) {
        return "readonly-accepts"
      }
    default: break
    }
    return nil
  }

  static func hasTimeOutOfRange(_ line: String) -> Bool {
    line.split(separator: " ").dropFirst(2).contains { field in
      field.first == "-" || (field.count > 12 && field.allSatisfy(\.isNumber))
    }
  }

  static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
    return (0...(haystack.count - needle.count)).filter { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }.count
  }

  static func removing(_ needle: [UInt8], from haystack: [UInt8]) -> [UInt8] {
    guard !needle.isEmpty else { return haystack }
    var result: [UInt8] = []
    var index = 0
    while index < haystack.count {
      if haystack[index...].starts(with: needle) {
        index += needle.count
      } else {
        result.append(haystack[index])
        index += 1
      }
    }
    return result
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
      return true
    }
    return false
  }
}
