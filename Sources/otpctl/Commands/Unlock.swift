import ArgumentParser
import OTPCore
import OTPStore

struct Unlock: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Clear a user's wrong-code count and recent attempts, ending any back-off.")

  @OptionGroup var named: NamedUserOptions
  @OptionGroup var fleet: FleetOption

  func run() throws {
    try reportingErrors {
      if let path = fleet.file { return try FleetCommands.unlock(path, user: named.user) }
      let target = try named.resolve()
      let now = System.now
      let update: SecretFileStore.Update<Cleared>
      do throws(StoreError) {
        update = try target.store.update { file in
          let before = UserStatus(user: named.user, path: target.path, file: file, now: now)
          let cleared = Cleared(failures: before.failures, backoff: before.backoff, recentAttempts: before.recentAttempts)
          _ = file.clearFailures()
          // Only when there is something to drop: an unchanged file is not written.
          if file.rateLimit?.times.isEmpty == false { file.rateLimit?.times = [] }
          return cleared
        }
      } catch {
        throw target.failure(error)
      }
      if let error = update.writeError { throw CLIError(error) }
      print(update.result.sentence(for: named.user, now: now))
    }
  }

  /// What `unlock` found to clear.
  struct Cleared: Equatable {
    var failures: Int
    var backoff: BackoffEnd?
    var recentAttempts: Int

    func sentence(for user: String, now: Int64) -> String {
      var parts: [String] = []
      if failures > 0 { parts.append("\(failures) wrong code\(failures == 1 ? "" : "s") in a row") }
      switch backoff {
      case .recorded(let until)?:
        parts.append("a back-off until \(TimeText.local(until)) (\(TimeText.duration(until - now)) left)")
      case .estimated(let until)?:
        parts.append("a back-off (until \(TimeText.local(until)) with the default backoff= options)")
      case nil: break
      }
      if recentAttempts > 0 {
        parts.append("\(recentAttempts) recent attempt\(recentAttempts == 1 ? "" : "s") of the rate limit")
      }
      guard let last = parts.popLast() else {
        return "Nothing to clear for \(user): no wrong codes, no back-off and no recent attempts."
      }
      let list = parts.isEmpty ? last : parts.joined(separator: ", ") + " and " + last
      return "Unlocked \(user): cleared \(list)."
    }
  }
}
