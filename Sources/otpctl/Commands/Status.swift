import ArgumentParser
import OTPCore
import OTPStore

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show how a user is enrolled (never the secret); with --all, every user of the store.",
    discussion: """
      A back-off is shown as the module recorded it (BACKOFF_UNTIL), with the
      backoff= options of its stack line; for a file without that record it is
      computed with the default options, and marked as such. The last success
      is what the file keeps of it: LASTn entries (grace_period=), the newest
      used code (DISALLOW_REUSE) and KNOWN_HOSTS (notify=).

      With --all, a file that cannot be used is listed with its error; the
      listing still exits 0.
      """)

  @OptionGroup var target: TargetOptions
  @OptionGroup var fleet: FleetOption

  @Flag(help: "Print JSON: one object (with --all, {secret_dir, time, users}). Errors are JSON too.")
  var json = false

  @Flag(help: "List every user whose secret file is in the store (root only).")
  var all = false

  @Option(
    name: .customLong("secret-dir"),
    help: ArgumentHelp(
      "With --all: the store to list (default /var/lib/pam_otp).",
      discussion: "For a module line whose secret= is DIR/${USER}: each file is named after its user.",
      valueName: "dir"))
  var secretDirectory: String?

  @Option(
    help: ArgumentHelp(
      "With --all: the order: user (default), failures (most first), backoff (ending last first), scratch (fewest first), last-success (latest first).",
      valueName: "key"))
  var sort: SortKey?

  @Flag(help: "With --all: the other way round.")
  var reverse = false

  @Flag(help: "With --all: Prometheus text-format metrics, for node_exporter's textfile collector.")
  var prometheus = false

  @Option(
    help: ArgumentHelp(
      "With --all: write to this file atomically (a new file renamed over it, mode 0644) instead of standard output.",
      valueName: "file"))
  var output: String?

  func validate() throws {
    if all {
      if target.user != nil { throw ValidationError("--all lists every user; give no user name with it") }
      if target.secretFile != nil { throw ValidationError("--all lists a store: use --secret-dir, not --secret-file") }
    } else {
      let onlyWithAll = [
        ("--secret-dir", secretDirectory != nil), ("--sort", sort != nil), ("--reverse", reverse),
        ("--prometheus", prometheus), ("--output", output != nil),
      ]
      if let (name, _) = onlyWithAll.first(where: { $0.1 }) { throw ValidationError("\(name) needs --all") }
    }
    if json && prometheus { throw ValidationError("--json and --prometheus exclude each other") }
  }

  func run() throws {
    try reportingErrors(json: json) {
      if let path = fleet.file { return try FleetCommands.status(path, user: target.user) }
      if all { return try listStore() }
      let target = try Target.resolve(target)
      let file = try target.readSecretFile()
      let status = UserStatus(user: target.user.nameText, path: target.path, file: file, now: System.now)
      if json { try JSONOutput.print(status.json()) } else { print(StatusText.text(status)) }
    }
  }

  private func listStore() throws(CLIError) {
    let directory = try StoreListing.directoryPath(secretDirectory)
    let now = System.now
    var listing = try StoreListing.read(directory: directory, now: now)
    listing.sort(by: sort ?? .user, reversed: reverse)
    let text: String
    if prometheus {
      text = Prometheus.text(listing)
    } else if json {
      text = try JSONOutput.text(listing.json)
    } else {
      text = StatusTable(listing: listing, styled: output == nil && Terminal.stdoutIsStyled).text
    }
    let lines = text.hasSuffix("\n") ? text : text + "\n"
    if let output {
      // node_exporter, not root, reads it; nothing in it is secret.
      try AtomicFile.write(SensitiveBytes(Array(lines.utf8)), to: output, mode: 0o644)
    } else {
      print(lines, terminator: "")
    }
  }

  /// The orders `--sort` offers; each puts first what asks for attention.
  enum SortKey: String, CaseIterable, ExpressibleByArgument {
    case user
    /// Most wrong codes first.
    case failures
    /// Users in a back-off first, the one ending last first.
    case backoff
    /// Fewest scratch codes left first.
    case scratch
    /// Most recent success first; users with none recorded last.
    case lastSuccess = "last-success"
  }
}

/// `status USER` as text.
enum StatusText {
  static func text(_ status: UserStatus) -> String {
    let file = status.file
    let now = status.now
    var lines = ["user:            \(status.user)", "secret file:     \(status.path)"]
    switch file.mode {
    case .totp:
      lines.append("type:            TOTP, every \(file.effectiveStepSize) s, clock skew \(file.timeSkew ?? 0) steps")
    case .hotp(let counter): lines.append("type:            HOTP, next counter \(counter)")
    case .scratchCodesOnly: lines.append("type:            no app (scratch codes\(file.delivery == nil ? "" : " and sent codes") only)")
    }
    lines.append("algorithm:       \(file.effectiveAlgorithm.name), \(file.effectiveDigits) digits")
    lines.append("window:          \(file.effectiveWindowSize) codes")
    lines.append("code reuse:      \(file.disallowsReuse ? "refused" : "allowed")")
    if file.tokens.count > 1 {
      // The settings above are the first token's; each further one in brief.
      lines.append("tokens:          \(file.tokens.count), a code of any active one logs in")
      for token in file.tokens {
        let used = token.lastUsed.map { ", last used \(TimeText.local($0))" } ?? ""
        let state = token.isActive ? "" : ", awaiting confirmation"
        lines.append("  \(token.name): \(TokenText.summary(token))\(used)\(state)")
      }
    }
    if let limit = file.rateLimit {
      lines.append("rate limit:      \(limit.attempts) per \(limit.interval) s (\(status.recentAttempts) recent)")
    } else {
      lines.append("rate limit:      none")
    }
    lines.append("scratch codes:   \(file.scratchCodes.count) left")
    if let delivery = file.delivery {
      var line = "codes sent to:   \(delivery.text)"
      if let sent = file.sentCode, sent.expires > now { line += " (a code sent at \(sent.sent) is valid until \(sent.expires))" }
      lines.append(line)
    }
    lines.append("last success:    \(lastSuccess(status.lastSuccess))")
    if let failures = file.failures {
      lines.append("wrong codes:     \(failures.count) in a row, the last at \(TimeText.local(failures.last))")
    } else {
      lines.append("wrong codes:     none since the last success")
    }
    if let backoff = status.backoff {
      let until = "until \(TimeText.local(backoff.time)) (in \(TimeText.duration(backoff.time - now)))"
      switch backoff {
      case .recorded:
        lines.append("back-off:        \(until), as the module recorded it; otpctl unlock ends it")
      case .estimated:
        lines.append("back-off:        \(until) with the default backoff= options; otpctl unlock ends it")
        lines.append("                 (estimated: the file has no BACKOFF_UNTIL, and the stack's options may differ)")
      }
    }
    return lines.joined(separator: "\n")
  }

  static func lastSuccess(_ last: LastSuccess?) -> String {
    guard let last else { return "not recorded in the file" }
    var text: String
    switch (last.time, last.timeSource) {
    case (let time?, .gracePeriod?): text = TimeText.local(time)
    case (let time?, _): text = "about \(TimeText.local(time)) (the newest used code)"
    default: text = "no time recorded"
    }
    if let host = last.hostText {
      if last.timeSource == .gracePeriod {
        text += " from \(host) (LAST entry of grace_period=)"
      } else {
        text += "; last remote host \(host) (\(last.hostSource == .knownHosts ? "KNOWN_HOSTS" : "LAST entry"))"
      }
    }
    return text
  }
}
