import OTPCore
import OTPStore

/// Carries out a plan: each user's file written atomically through the
/// store (a new file renamed into place, synced), root's with mode 0600.
/// If a write fails, the users written before it in this run are put back
/// as they were (a created file removed, a replaced one restored), so a
/// failed import leaves every user as they were.
extension ImportPlan {
  struct Outcome {
    /// One line per user: what happened.
    var lines: [String] = []
    var failure: CLIError?
  }

  func apply() -> Outcome {
    var outcome = Outcome()
    var done: [(Entry, SecretFileStore)] = []
    for entry in entries {
      guard let user = entry.user else { continue }
      let store = SecretFileStore(location: SecretFileLocation(path: Array(entry.path.utf8), account: user.account))
      let replacing: Bool
      switch entry.action {
      case .create: replacing = false
      case .replace: replacing = true
      case .unchanged:
        outcome.lines.append("\(entry.userName): unchanged: \(entry.path) holds this token already")
        continue
      case .refused: continue
      }
      guard let file = entry.file else { continue }
      do {
        try store.create(file, owner: .root, mode: 0o600, replacing: replacing)
      } catch {
        let undone = undo(done)
        outcome.lines.append("\(entry.userName): failed: \(error.description)")
        outcome.lines += undone
        outcome.failure = CLIError(
          error, advice: "the import stopped; the users written before it were put back (see above)")
        return outcome
      }
      done.append((entry, store))
      outcome.lines.append("\(entry.userName): \(replacing ? "replaced" : "created") \(entry.path)")
    }
    return outcome
  }

  /// Puts back the users this run wrote, newest first.
  private func undo(_ done: [(Entry, SecretFileStore)]) -> [String] {
    var lines: [String] = []
    for (entry, store) in done.reversed() {
      do throws(StoreError) {
        switch entry.action {
        case .replace(let previous?):
          try store.create(previous, owner: .root, mode: 0o600, replacing: true)
          lines.append("\(entry.userName): restored \(entry.path) as it was")
        case .replace(nil):
          // What was there could not be read, so it cannot be written back;
          // the imported token is better than no file at all.
          lines.append("\(entry.userName): kept the imported \(entry.path) (the unreadable file it replaced cannot be restored)")
        default:
          try store.remove()
          lines.append("\(entry.userName): removed \(entry.path) again")
        }
      } catch {
        lines.append("\(entry.userName): could not be put back: \(error.description)")
      }
    }
    return lines
  }
}
