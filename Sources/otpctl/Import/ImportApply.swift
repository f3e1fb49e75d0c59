import OTPCore
import OTPStore

/// Carries out a plan: each user's file written atomically through the
/// store (a new file renamed into place, synced), root's with mode 0600; a
/// token added to an existing file under that file's lock, as a login
/// updates it. If a write fails, the users written before it in this run
/// are put back as they were (a created file removed, a replaced one
/// restored, added tokens taken out again), so a failed import leaves every
/// user as they were.
extension ImportPlan {
  struct Outcome {
    /// One line per user: what happened.
    var lines: [String] = []
    var failure: CLIError?
  }

  /// What this run did to one user, for putting it back.
  private enum Done {
    case created
    case replaced(previous: SecretFile?)
    /// The tokens added, and the scratch codes that came with them.
    case added(names: [String], scratchCodes: [UInt32])
  }

  func apply() -> Outcome {
    var outcome = Outcome()
    var done: [(Entry, SecretFileStore, Done)] = []
    for entry in entries {
      guard let user = entry.user else { continue }
      let store = SecretFileStore(location: SecretFileLocation(path: Array(entry.path.utf8), account: user.account))
      let result: Result<Done, CLIError>
      switch entry.action {
      case .create, .replace:
        result = write(entry, to: store)
      case .add:
        result = add(entry, to: store)
      case .unchanged:
        outcome.lines.append("\(entry.userName): unchanged: \(entry.path) \(entry.unchangedText)")
        continue
      case .refused: continue
      }
      switch result {
      case .success(let what):
        done.append((entry, store, what))
        switch what {
        case .created: outcome.lines.append("\(entry.userName): created \(entry.path)")
        case .replaced: outcome.lines.append("\(entry.userName): replaced \(entry.path)")
        case .added(let names, _):
          if names.isEmpty { outcome.lines.append("\(entry.userName): unchanged: \(entry.path) \(entry.unchangedText)") }
          for name in names { outcome.lines.append("\(entry.userName): added token \(name) to \(entry.path)") }
        }
      case .failure(let error):
        outcome.lines.append("\(entry.userName): failed: \(error.message)")
        outcome.lines += undo(done)
        outcome.failure = CLIError(
          error.kind, "\(error.message)\nthe import stopped; the users written before it were put back (see above)")
        return outcome
      }
    }
    return outcome
  }

  private func write(_ entry: Entry, to store: SecretFileStore) -> Result<Done, CLIError> {
    guard let file = entry.file else { return .failure(CLIError(.ioError, "no file planned")) }
    let previous: SecretFile?
    switch entry.action {
    case .replace(let before): previous = before
    default: previous = nil
    }
    let replacing = if case .replace = entry.action { true } else { false }
    do {
      try store.create(file, owner: .root, mode: 0o600, replacing: replacing)
    } catch {
      return .failure(CLIError(error))
    }
    return .success(replacing ? .replaced(previous: previous) : .created)
  }

  /// Adds the entry's tokens under the file's lock, deciding again on the
  /// file as it is then (a login may have written it since the plan).
  private func add(_ entry: Entry, to store: SecretFileStore) -> Result<Done, CLIError> {
    let update: SecretFileStore.Update<Result<Done, Refusal>>
    do {
      update = try store.update { file in
        let codesBefore = file.scratchCodes
        do throws(Refusal) {
          let names = try ImportPlan.addTokens(entry.tokens, to: &file).compactMap { $0 }
          let codes = file.scratchCodes.filter { !codesBefore.contains($0) }
          return .success(.added(names: names, scratchCodes: codes))
        } catch {
          return .failure(error)
        }
      }
    } catch {
      return .failure(CLIError(error))
    }
    if let error = update.writeError { return .failure(CLIError(error)) }
    switch update.result {
    case .success(let what): return .success(what)
    case .failure(let refusal): return .failure(CLIError(.exists, refusal.message))
    }
  }

  /// Puts back the users this run wrote, newest first.
  private func undo(_ done: [(Entry, SecretFileStore, Done)]) -> [String] {
    var lines: [String] = []
    for (entry, store, what) in done.reversed() {
      do throws(StoreError) {
        switch what {
        case .replaced(let previous?):
          try store.create(previous, owner: .root, mode: 0o600, replacing: true)
          lines.append("\(entry.userName): restored \(entry.path) as it was")
        case .replaced(nil):
          // What was there could not be read, so it cannot be written back;
          // the imported token is better than no file at all.
          lines.append("\(entry.userName): kept the imported \(entry.path) (the unreadable file it replaced cannot be restored)")
        case .created:
          try store.remove()
          lines.append("\(entry.userName): removed \(entry.path) again")
        case .added(let names, let codes):
          // Taken out under the lock rather than the old bytes written back:
          // a login since then keeps what it wrote (a used code stays used),
          // and with none the file is byte for byte what it was.
          let update = try store.update { file in
            for name in names { try? file.removeToken(named: name) }
            if !codes.isEmpty { file.scratchCodes.removeAll { codes.contains($0) } }
          }
          if let error = update.writeError { throw error }
          lines.append("\(entry.userName): took the added tokens out of \(entry.path) again: restored as it was")
        }
      } catch {
        lines.append("\(entry.userName): could not be put back: \(error.description)")
      }
    }
    return lines
  }
}
