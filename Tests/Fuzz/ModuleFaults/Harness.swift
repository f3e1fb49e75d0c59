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
    if knownDefects.contains("clock-extremes") { faults_clock_limit(10_000_000_000_000) }
    // A host that does not ignore SIGPIPE dies of one: so does this one,
    // with a report and a saved input.
    signal(SIGPIPE) { _ in
      let message = "==module-faults== INVARIANT: the module raised SIGPIPE (it would kill its host)\n"
      _ = message.withCString { write(2, $0, strlen($0)) }
      abort()
    }
    let root = sandbox.root
    atexitRoot = root
    atexit { if let root = atexitRoot { Sandbox.removeTree(root) } }
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

  static func isFileName(_ name: [UInt8]) -> Bool {
    !name.isEmpty && name.count <= 255 && !name.contains(UInt8(ascii: "/")) && name != [0x2E] && name != [0x2E, 0x2E]
  }

  func run(_ scenario: Scenario) {
    sandbox.reset()
    let (secretArgument, path) = placement(scenario)
    let owner = scenario.owner ?? (scenario.layout.inHome ? Sandbox.nobody : 0)
    if let path, let bytes = scenario.file {
      Sandbox.write(bytes, to: path, mode: scenario.mode, owner: owner, group: scenario.group ?? owner)
    }
    let before = path.flatMap(Sandbox.state)
    let facts = before.flatMap { SecretFacts(parsing: $0.bytes) }

    var arguments = scenario.options
    if let program = scenario.delivery { arguments.append(Array("deliver=\(sandbox.deliverPath(program.name))".utf8)) }
    arguments.append(secretArgument)
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
      after: after, facts: facts, listingBefore: listingBefore, listingAfter: sandbox.listing())
    if verbose { describe(result, after: after) }
    do throws(Violation) {
      try invariants.check()
      if invariants.succeeded, let path, let facts, let after {
        try replays(invariants, facts: facts, after: after, path: path)
      }
    } catch {
      if let defect = invariants.knownDefect(error), knownDefects.contains(defect) { return }
      report(error, scenario: scenario, result: result, before: before, after: after)
    }
  }

  /// A success must have used up what it used: the same answers, typed
  /// again at the same times into the file it left, must fail. Replays run
  /// without faults and without `grace_period` (a grace login needs no
  /// code). They run twice:
  /// - as they were, unless the file allows a TOTP code to be used again
  ///   (no DISALLOW_REUSE), or `allow_readonly` met a read-only or full
  ///   disk and the code was a TOTP code;
  /// - with the secret replaced, where only a scratch code or a sent code
  ///   can still match, and neither may ever work twice.
  func replays(_ invariants: Invariants, facts: SecretFacts, after: Sandbox.FileState, path: String)
    throws(Violation)
  {
    var replay = invariants.setup
    replay.arguments = replay.arguments.filter { !$0.starts(with: "grace_period".utf8) }
    replay.faults = []
    replay.replies = invariants.result.typed
    replay.resumes = 0
    replay.randomSeed = replay.randomSeed ^ 0x5EED_0F_2EF1A7
    let totpReusable =
      facts.mode == .totp && (facts.usedSteps == nil || invariants.readOnlyAcceptancePossible)
    if !totpReusable {
      sandbox.reset()
      Sandbox.write(after.bytes, to: path, mode: after.mode, owner: after.uid, group: after.gid)
      let again = Login.run(replay, facts: facts, sandbox: sandbox)
      if again.status == PAM_SUCCESS {
        throw Violation("replay-succeeded", "the same answers succeeded again on the file the success left")
      }
    }
    guard !facts.scratchCodes.isEmpty || facts.hasDeliveryAddress || facts.hasSentCode else { return }
    sandbox.reset()
    Sandbox.write(Self.replacingSecret(after.bytes), to: path, mode: after.mode, owner: after.uid, group: after.gid)
    let again = Login.run(replay, facts: facts, sandbox: sandbox)
    if again.status == PAM_SUCCESS {
      throw Violation(
        "replay-scratch-or-sent", "a scratch or sent code that succeeded works again (secret replaced)")
    }
  }

  /// The file with another valid secret on its first line.
  static func replacingSecret(_ bytes: [UInt8]) -> [UInt8] {
    let end = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
    let first = Array("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".utf8)
    let second = Array("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".utf8)
    return (Array(bytes[..<end]) == first ? second : first) + bytes[end...]
  }

  func describe(_ result: LoginResult, after: Sandbox.FileState?) {
    fputs(context(result, before: nil, after: after).joined(separator: "\n") + "\n", stderr)
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

  func report(_ violation: Violation, scenario: Scenario, result: LoginResult, before: Sandbox.FileState?,
    after: Sandbox.FileState?)
  {
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
