import CModuleFaults
import CPAM
import Glibc

// libFuzzer target: pam_otp's pam_sm_authenticate end to end, inside the
// real libpam, with a fuzzed conversation, items, options, secret file and
// clock, and the module's system calls failing where the input says.
// Tests/Fuzz/README.md describes the input format and the invariants.

@_cdecl("LLVMFuzzerInitialize")
public func initializeModuleFaults(
  _ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> Int32 {
  Harness.shared = Harness()
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModuleFaults(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
  let harness = Harness.shared ?? Harness()
  Harness.shared = harness
  harness.run(Scenario(parsing: input))
  return 0
}

final class Harness {
  nonisolated(unsafe) static var shared: Harness? = nil

  let sandbox: Sandbox
  /// MODULE_FAULTS_VERBOSE=1: describe every run (for writing seeds).
  let verbose = getenv("MODULE_FAULTS_VERBOSE") != nil
  /// MODULE_FAULTS_STATS=1: at exit, count what the runs reached.
  nonisolated(unsafe) static var statistics: [String: Int] = [:]
  let countStatistics = getenv("MODULE_FAULTS_STATS") != nil
  /// MODULE_FAULTS_KNOWN_DEFECTS=a,b: go on past these (Invariants.knownDefect).
  let knownDefects: Set<String> = Set(
    (getenv("MODULE_FAULTS_KNOWN_DEFECTS").map { String(cString: $0) } ?? "").split(separator: ",").map(String.init))

  init() {
    let directory = Self.executableDirectory()
    let trampoline = directory + "/module-faults-pam.so"
    sandbox = Sandbox(trampoline: trampoline, deliver: directory + "/module-faults-deliver")
    guard faults_install_trampoline(trampoline) == 0 else { Login.fatal("cannot load \(trampoline)") }
    faults_sandbox(sandbox.root, sandbox.deliverPrefix)
    // Clock values near the ends of Int64 trap in the module's time
    // arithmetic (regressions/module-faults/trap-*); an exploring run may
    // stay clear of them.
    if knownDefects.contains("clock-extremes") || knownDefects.contains("all") { faults_clock_limit(10_000_000_000_000) }
    // A host that does not ignore SIGPIPE dies of one: so does this one,
    // with a report and a saved input.
    signal(SIGPIPE) { _ in
      let message = "==module-faults== INVARIANT sigpipe: the module raised SIGPIPE (it would kill its host)\n"
      _ = message.withCString { write(2, $0, strlen($0)) }
      abort()
    }
    let root = sandbox.root
    atexitRoot = root
    atexit { if let root = atexitRoot { Sandbox.removeTree(root) } }
    if countStatistics {
      atexit {
        let lines = Harness.statistics.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        fputs("module-faults statistics:\n" + lines.joined(separator: "\n") + "\n", stderr)
      }
    }
  }

  static func executableDirectory() -> String {
    var path = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &path, path.count - 1)
    guard length > 0 else { Login.fatal("cannot read /proc/self/exe") }
    let text = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(text[..<(text.lastIndex(of: "/") ?? text.endIndex)])
  }

  /// Where the layout puts the file, and the `secret=` that names it.
  func placement(_ scenario: Scenario) -> (argument: [UInt8], path: String?) {
    let directory = scenario.layout.inHome ? sandbox.home : sandbox.secrets
    let template: String
    let name: [UInt8]?
    switch scenario.layout {
    case .rootUser, .homeUser:
      template = "${USER}"
      name = scenario.userName.flatMap { Self.isFileName($0) ? $0 : nil }
    case .rootFixed:
      template = "otp"
      name = Array(template.utf8)
    case .homeFixed:
      template = ".google_authenticator"
      name = Array(template.utf8)
    }
    let path = name.map { directory + "/" + String(decoding: $0, as: UTF8.self) }
    // A name that is not UTF-8 cannot be written through String: no file.
    let exact = name.map { Array(String(decoding: $0, as: UTF8.self).utf8) == $0 } ?? false
    return (Array("secret=\(directory)/\(template)".utf8), exact ? path : nil)
  }

  /// Puts something other than a plain file at the secret path, as the
  /// scenario says; returns the file the module must leave alone.
  func arrange(_ scenario: Scenario, at path: String, owner: UInt32) -> (path: String, state: Sandbox.FileState?)? {
    if let stray = scenario.stray {
      let slash = path.lastIndex(of: "/") ?? path.startIndex
      let strayPath = String(path[...slash]) + "." + String(path[path.index(after: slash)...]) + ".update~"
      switch stray {
      case .file:
        Sandbox.write(Array("left behind\n".utf8), to: strayPath, mode: 0o600, owner: owner, group: owner, optional: true)
      case .symlink: _ = symlink(sandbox.victimPath, strayPath)
      case .hardlink: _ = Glibc.link(sandbox.victimPath, strayPath)
      }
    }
    guard let link = scenario.link else { return nil }
    switch link {
    case .hard:
      _ = Glibc.link(path, path + ".link")
      return (path, Sandbox.state(of: path))
    case .symbolic:
      guard rename(path, path + ".target") == 0 else { return nil }
      let name = path.split(separator: "/").last.map(String.init) ?? path
      _ = symlink(name + ".target", path)
      return (path + ".target", Sandbox.state(of: path + ".target"))
    case .fifo:
      _ = unlink(path)
      _ = mkfifo(path, scenario.mode)
      _ = chown(path, owner, scenario.group ?? owner)
    case .directory:
      _ = unlink(path)
      _ = mkdir(path, 0o700)
      _ = chown(path, owner, scenario.group ?? owner)
    }
    return nil
  }

  static func isFileName(_ name: [UInt8]) -> Bool {
    !name.isEmpty && name.count <= 255 && !name.contains(UInt8(ascii: "/")) && name != [0x2E] && name != [0x2E, 0x2E]
  }

  func run(_ scenario: Scenario) {
    sandbox.reset()
    let (secretArgument, path) = placement(scenario)
    let owner = scenario.owner ?? (scenario.layout.inHome ? Sandbox.nobody : 0)
    if let path, let bytes = scenario.file {
      let padded = bytes + [UInt8](repeating: 0x0A, count: scenario.padding * 1024)
      Sandbox.write(padded, to: path, mode: scenario.mode, owner: owner, group: scenario.group ?? owner)
    }
    let protected = path.flatMap { arrange(scenario, at: $0, owner: owner) }
    if let mode = scenario.directoryMode { _ = chmod(scenario.layout.inHome ? sandbox.home : sandbox.secrets, mode) }
    let before = path.flatMap(Sandbox.state)
    let facts = before.flatMap { SecretFacts(parsing: $0.bytes) }

    // The harness's own arguments first: the module reads only so many.
    var arguments = [secretArgument]
    if let program = scenario.delivery { arguments.append(Array("deliver=\(sandbox.deliverPath(program.name))".utf8)) }
    arguments += scenario.options
    let token = scenario.authenticationToken.map {
      Conversation.resolve($0, facts: facts, time: scenario.clockBase, sentCode: nil)
    }
    let setup = LoginSetup(
      arguments: arguments, user: scenario.user, remoteHost: scenario.remoteHost, tty: scenario.tty,
      service: scenario.service, authenticationToken: token, flags: scenario.flags, clockBase: scenario.clockBase,
      clockSteps: scenario.clockSteps, replies: scenario.replies, messagesFail: scenario.messagesFail,
      resumes: scenario.resumes, faults: scenario.faults, randomSeed: scenario.randomSeed,
      deliveryHangs: scenario.delivery == .hang)

    let listingBefore = sandbox.listing()
    let result = Login.run(setup, facts: facts, sandbox: sandbox)
    let after = path.flatMap(Sandbox.state)
    let invariants = Invariants(
      scenario: scenario, setup: setup, result: result, options: OptionModel(arguments), before: before,
      after: after, facts: facts, listingBefore: listingBefore, listingAfter: sandbox.listing(),
      protectedBefore: protected?.state, protectedAfter: protected.flatMap { Sandbox.state(of: $0.path) },
      victimAfter: Sandbox.read(sandbox.victimPath))
    if verbose { describe(result, after: after) }
    if countStatistics { count(result, invariants: invariants) }
    do throws(Violation) {
      try invariants.check()
      if invariants.succeeded, let path, let facts, let after {
        try replays(invariants, facts: facts, after: after, path: path)
      }
    } catch {
      if knownDefects.contains("all") { return }
      if let defect = invariants.knownDefect(error), knownDefects.contains(defect) {
        if countStatistics { Self.statistics["known defect " + defect, default: 0] += 1 }
        return
      }
      report(error, result: result, before: before, after: after)
    }
  }

  func count(_ result: LoginResult, invariants: Invariants) {
    func add(_ key: String) { Self.statistics[key, default: 0] += 1 }
    add("runs")
    add("status \(result.status)")
    if !result.fired.isEmpty { add("runs with a fault fired") }
    if result.spawned > 0 { add("runs that started deliver=") }
    if result.calls > 1 { add("runs resumed after PAM_INCOMPLETE") }
    if let facts = invariants.facts, let before = invariants.before {
      if invariants.rightCodeMustSucceed(facts: facts, before: before) { add("runs judged for a right code") }
      if invariants.succeeded { add("successes replayed") }
    }
  }

  func describe(_ result: LoginResult, after: Sandbox.FileState?, title: String = "login") {
    fputs("\(title):\n" + context(result, before: nil, after: after).joined(separator: "\n") + "\n", stderr)
  }

  func context(_ result: LoginResult, before: Sandbox.FileState?, after: Sandbox.FileState?) -> [String] {
    var lines = ["  status \(result.status) after \(result.calls) call(s); clock reads \(result.clockReads)"]
    lines.append("  faults fired: \(result.fired.map { "\(Self.kindName($0.kind)) \($0.error)" })")
    lines.append("  typed: \(result.typed.map { reply in if case .literal(let bytes) = reply { String(decoding: bytes, as: UTF8.self) } else { "(none)" } })")
    for line in result.logLines { lines.append("  log: " + String(decoding: line, as: UTF8.self)) }
    for text in result.shown { lines.append("  shown: " + String(decoding: text, as: UTF8.self)) }
    if let before { lines.append("  file before:\n" + String(decoding: before.bytes, as: UTF8.self)) }
    if let after { lines.append("  file after:\n" + String(decoding: after.bytes, as: UTF8.self)) }
    return lines
  }

  func report(_ violation: Violation, result: LoginResult, before: Sandbox.FileState?, after: Sandbox.FileState?) {
    let lines =
      ["==module-faults== INVARIANT \(violation.kind): \(violation.message)"] + context(result, before: before, after: after)
    fputs(lines.joined(separator: "\n") + "\n", stderr)
    abort()
  }

  static func kindName(_ kind: Int32) -> String {
    Scenario.faultKinds.first { $0.1 == kind }?.0 ?? "kind \(kind)"
  }
}

nonisolated(unsafe) private var atexitRoot: String? = nil
