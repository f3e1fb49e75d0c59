import CCrypto
import OTPCore
import OTPStore

/// What an import will do, user by user, decided before anything is
/// written: `--dry-run` prints it, and the real run carries it out.
///
/// - a user without a secret file gets one (root's, mode 0600);
/// - a user whose file already holds the token (the same secret) is left
///   alone, so a second run changes nothing;
/// - a user whose file holds another secret is a conflict: refused unless
///   `--replace`, since adding a second token to a file is `addToken`'s;
/// - an unknown user, or a file that cannot be read, is refused.
///
/// One refused user stops the whole import before anything is written.
struct ImportPlan {
  enum Action {
    case create
    case unchanged
    case replace(previous: SecretFile?)
    case refused(Refusal)
  }

  struct Refusal: Error {
    enum Reason { case conflict, invalid }
    let reason: Reason
    let message: String
  }

  struct Entry {
    let userName: String
    let user: UserRecord?
    let tokens: [ImportedToken]
    let path: String
    var action: Action
    /// What is written for `create` and `replace`.
    var file: SecretFile?

    var notes: [String] { tokens.flatMap(\.notes) + counterNotes }

    /// A secret file cannot hold an HOTP counter of 0 yet (GA's format reads
    /// `HOTP_COUNTER 0` as "not HOTP"), so a factory-fresh token starts at 1.
    private var counterNotes: [String] {
      tokens.compactMap { token in
        guard token.gaFile == nil, case .hotp(0) = token.kind else { return nil }
        return "\(token.source): counter 0 is stored as 1, so the token's very first code is refused; the next ones work"
      }
    }
  }

  let directory: String
  var entries: [Entry]

  var isRefused: Bool { entries.contains { if case .refused = $0.action { true } else { false } } }

  static func make(_ tokens: [ImportedToken], directory: String, replace: Bool) -> ImportPlan {
    var order: [String] = []
    var byUser: [String: [ImportedToken]] = [:]
    for token in tokens {
      if byUser[token.user] == nil { order.append(token.user) }
      byUser[token.user, default: []].append(token)
    }
    let entries = order.map { name in entry(for: name, tokens: byUser[name] ?? [], directory: directory, replace: replace) }
    return ImportPlan(directory: directory, entries: entries)
  }

  private static func entry(for name: String, tokens: [ImportedToken], directory: String, replace: Bool) -> Entry {
    let path = "\(directory)/\(name)"
    func refused(_ reason: Refusal.Reason, _ message: String, user: UserRecord? = nil) -> Entry {
      Entry(userName: name, user: user, tokens: tokens, path: path, action: .refused(Refusal(reason: reason, message: message)))
    }
    guard UserName.isValid(Array(name.utf8)) else { return refused(.invalid, "invalid user name") }
    guard let user = UserDatabase.lookup(name: Array(name.utf8)) else { return refused(.invalid, "no such user") }
    guard let first = tokens.first else { return refused(.invalid, "no token") }
    var file = first.secretFile()
    for token in tokens.dropFirst() {
      do throws(Refusal) { try addToken(token, to: &file) } catch { return refused(error.reason, error.message, user: user) }
    }
    let store = SecretFileStore(location: SecretFileLocation(path: Array(path.utf8), account: user.account))
    let existing: SecretFile
    do {
      existing = try store.read()
    } catch {
      if case .notFound = error { return Entry(userName: name, user: user, tokens: tokens, path: path, action: .create, file: file) }
      if replace { return Entry(userName: name, user: user, tokens: tokens, path: path, action: .replace(previous: nil), file: file) }
      return refused(.invalid, "\(error.description) (--replace writes a new file over it)", user: user)
    }
    if tokens.count == 1, sameSecret(existing.secret, first.secret) {
      return Entry(userName: name, user: user, tokens: tokens, path: path, action: .unchanged)
    }
    if replace {
      return Entry(userName: name, user: user, tokens: tokens, path: path, action: .replace(previous: existing), file: file)
    }
    var combined = existing
    for token in tokens {
      do throws(Refusal) { try addToken(token, to: &combined) } catch { return refused(error.reason, error.message, user: user) }
    }
    return Entry(userName: name, user: user, tokens: tokens, path: path, action: .replace(previous: existing), file: combined)
  }

  /// Adds a token to a user's file beside the ones it holds. A secret file
  /// holds one token in this version, so this refuses; it is the one place
  /// to change when files hold several named tokens.
  static func addToken(_ token: ImportedToken, to file: inout SecretFile) throws(Refusal) {
    throw Refusal(
      reason: .conflict,
      message: "would hold a second token (\(token.source)), and a secret file holds one token in this version; "
        + "import one token per user, or use --replace to replace the user's secret")
  }

  private static func sameSecret(_ lhs: SensitiveBytes, _ rhs: SensitiveBytes) -> Bool {
    lhs.withUnsafeBytes { left in
      rhs.withUnsafeBytes { right in
        left.count == right.count && left.count > 0 && CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
      }
    }
  }
}

// MARK: Showing the plan

extension ImportPlan {
  /// One line per user (with its notes below it), as `--dry-run` shows it.
  func lines(dryRun: Bool) -> [String] {
    var lines: [String] = []
    for entry in entries {
      let what = entry.tokens.map { "\($0.summary) (\($0.source))" }.joined(separator: "; ")
      switch entry.action {
      case .create: lines.append("\(entry.userName): \(dryRun ? "would create" : "create") \(entry.path): \(what)")
      case .unchanged: lines.append("\(entry.userName): unchanged: \(entry.path) holds this token already")
      case .replace: lines.append("\(entry.userName): \(dryRun ? "would replace" : "replace") \(entry.path): \(what)")
      case .refused(let refusal): lines.append("\(entry.userName): refused: \(refusal.message)")
      }
      lines += entry.notes.map { "    note: \($0)" }
    }
    return lines
  }

  var refusalKind: CLIError.Kind {
    let conflictsOnly = entries.allSatisfy {
      if case .refused(let refusal) = $0.action { refusal.reason == .conflict } else { true }
    }
    return conflictsOnly ? .exists : .dataError
  }
}
