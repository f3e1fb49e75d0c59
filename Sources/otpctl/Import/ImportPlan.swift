import CCrypto
import OTPCore
import OTPStore

/// What an import will do, user by user, decided before anything is
/// written: `--dry-run` prints it, and the real run carries it out.
///
/// - a user without a secret file gets one (root's, mode 0600) with the
///   user's imported tokens, the first as the primary;
/// - a user whose file holds every imported token already (the same
///   secret, under any name) is left alone, so a second run changes nothing;
/// - a user whose file holds other tokens gets the new ones added beside
///   them (the user's tokens, scratch codes, rate limit and back-off stay);
///   with `--replace`, a new file of the imported tokens replaces it;
/// - a NAME that the user's file gives another secret, more tokens than a
///   file holds, an unknown user, or a file that cannot be read (without
///   `--replace`) is refused.
///
/// One refused user stops the whole import before anything is written.
struct ImportPlan {
  enum Action {
    case create
    case unchanged
    /// The named tokens are added to the user's file (under its lock).
    case add(names: [String])
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
    /// What is written for `create` and `replace`, and what `add` is
    /// expected to give (the file is read again under the lock to add).
    var file: SecretFile?
    /// The name each token gets, in the order of `tokens`; nil for one
    /// the file holds already (or one imported twice).
    var names: [String?] = []

    var notes: [String] { tokens.flatMap(\.notes) }
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
    var entry = Entry(userName: name, user: nil, tokens: tokens, path: path, action: .unchanged)
    func refused(_ reason: Refusal.Reason, _ message: String) -> Entry {
      entry.action = .refused(Refusal(reason: reason, message: message))
      return entry
    }
    guard UserName.isValid(Array(name.utf8)) else { return refused(.invalid, "invalid user name") }
    guard let user = UserDatabase.lookup(name: Array(name.utf8)) else { return refused(.invalid, "no such user") }
    entry = Entry(userName: name, user: user, tokens: tokens, path: path, action: .unchanged)
    let new: (file: SecretFile, names: [String?])
    do throws(Refusal) { new = try newFile(tokens) } catch { return refused(error.reason, error.message) }
    let store = SecretFileStore(location: SecretFileLocation(path: Array(path.utf8), account: user.account))
    let existing: SecretFile
    do {
      existing = try store.read()
    } catch {
      entry.file = new.file
      entry.names = new.names
      if case .notFound = error {
        entry.action = .create
        return entry
      }
      if replace {
        entry.action = .replace(previous: nil)
        return entry
      }
      return refused(.invalid, "\(error.description) (--replace writes a new file over it)")
    }
    if tokens.allSatisfy({ holds(existing, $0) }) {
      entry.names = tokens.map { _ in nil }
      return entry
    }
    if replace {
      entry.action = .replace(previous: existing)
      entry.file = new.file
      entry.names = new.names
      return entry
    }
    var combined = existing
    do throws(Refusal) { entry.names = try addTokens(tokens, to: &combined) } catch { return refused(error.reason, error.message) }
    entry.action = .add(names: entry.names.compactMap { $0 })
    entry.file = combined
    return entry
  }

  /// The file of a user who has none: the first token as the primary, the
  /// others as further tokens. A single token without a NAME keeps the
  /// primary's name ("default", as `enroll` gives it); with several, each is
  /// named (its NAME, or the first free of its `nameCandidates`).
  static func newFile(_ tokens: [ImportedToken]) throws(Refusal) -> (file: SecretFile, names: [String?]) {
    guard let first = tokens.first else { throw Refusal(reason: .invalid, message: "no token") }
    var file = first.secretFile()
    let given = tokens.compactMap(\.name)
    let several = tokens.contains { !sameSecret($0.secret, first.secret) }
    let derived = several ? first.nameCandidates().first { candidate in !given.contains(candidate) } : nil
    if let name = first.name ?? derived {
      file.modifyToken(at: 0) { $0.name = name }
    }
    let names = try addTokens(Array(tokens.dropFirst()), to: &file)
    return (file, [file.primary.name] + names)
  }

  /// Adds tokens to a user's file, all or none: the names they got, in the
  /// order given (nil for one the file holds already).
  static func addTokens(_ tokens: [ImportedToken], to file: inout SecretFile) throws(Refusal) -> [String?] {
    var copy = file
    var names: [String?] = []
    // Explicit NAMEs first, so that a derived name never takes one.
    let order = tokens.indices.filter { tokens[$0].name != nil } + tokens.indices.filter { tokens[$0].name == nil }
    var byIndex: [Int: String] = [:]
    for index in order {
      if let name = try addToken(tokens[index], to: &copy) { byIndex[index] = name }
    }
    for index in tokens.indices { names.append(byIndex[index]) }
    if names.contains(where: { $0 != nil }) { file = copy }
    return names
  }

  /// Adds a token to a user's file beside the ones it holds, and returns
  /// its name; nil when the file holds a token with this secret already
  /// (so a second run changes nothing). A GA file's scratch codes join the
  /// user's, so that its paper codes keep working; its rate limit and other
  /// user state give way to the file's. A NAME the file gives another
  /// secret is refused: which of the two is meant is not ours to guess.
  @discardableResult
  static func addToken(_ token: ImportedToken, to file: inout SecretFile) throws(Refusal) -> String? {
    guard !holds(file, token) else { return nil }
    if let gaFile = token.gaFile, gaFile.tokens.count > 1 {
      // Only a whole file keeps all its tokens; adding just the first would lose the rest.
      throw Refusal(
        reason: .conflict,
        message: "\(token.source) holds \(gaFile.tokens.count) tokens, and the user has a file already; "
          + "use --replace to move it whole")
    }
    let name: String
    if let given = token.name {
      guard file.token(named: given) == nil else {
        throw Refusal(
          reason: .conflict,
          message: "the user has a token named \(given) with another secret (\(token.source)); "
            + "choose another NAME, rename theirs (otpctl token rename), or use --replace to replace the user's file")
      }
      name = given
    } else {
      guard let free = token.nameCandidates().first(where: { file.token(named: $0) == nil }) else {
        throw Refusal(reason: .conflict, message: "no free name for the token (\(token.source)); give it a NAME")
      }
      name = free
    }
    var updated = file
    do throws(SecretFile.TokenError) { try updated.addToken(token.token(named: name)) } catch {
      throw Refusal(reason: .conflict, message: "cannot add the token (\(token.source)): \(error.description)")
    }
    if let codes = token.gaFile?.scratchCodes {
      let new = codes.filter { !updated.scratchCodes.contains($0) }
      guard updated.scratchCodes.count + new.count <= SecretFile.maximumScratchCodes else {
        throw Refusal(
          reason: .conflict,
          message: "its scratch codes and the user's would be more than \(SecretFile.maximumScratchCodes) (\(token.source))")
      }
      if !new.isEmpty { updated.scratchCodes += new }
    }
    file = updated
    return name
  }

  /// Whether the file holds a token with this token's secret.
  static func holds(_ file: SecretFile, _ token: ImportedToken) -> Bool {
    file.tokens.contains { sameSecret($0.secret, token.secret) }
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
  /// One line per user, or per token added (with the notes below), as
  /// `--dry-run` shows it.
  func lines(dryRun: Bool) -> [String] {
    var lines: [String] = []
    for entry in entries {
      switch entry.action {
      case .create:
        lines.append("\(entry.userName): \(dryRun ? "would create" : "create") \(entry.path): \(entry.described)")
      case .unchanged:
        lines.append("\(entry.userName): unchanged: \(entry.path) \(entry.unchangedText)")
      case .replace:
        lines.append("\(entry.userName): \(dryRun ? "would replace" : "replace") \(entry.path): \(entry.described)")
      case .add:
        for (token, name) in zip(entry.tokens, entry.names) {
          if let name {
            lines.append(
              "\(entry.userName): \(dryRun ? "would add" : "add") token \(name) to \(entry.path): \(token.summary) (\(token.source))")
          } else {
            lines.append("\(entry.userName): \(entry.path) holds the token of \(token.source) already")
          }
        }
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

extension ImportPlan.Entry {
  /// The tokens a new file gets, each with its name when it has one.
  var described: String {
    zip(tokens, names).compactMap { token, name in
      guard let name else { return nil }  // the same secret twice: written once
      let prefix = OTPToken.sameName(name, OTPToken.defaultName) ? "" : "token \(name): "
      return "\(prefix)\(token.summary) (\(token.source))"
    }.joined(separator: "; ")
  }

  var unchangedText: String {
    tokens.count == 1 ? "holds this token already" : "holds these tokens already"
  }
}
