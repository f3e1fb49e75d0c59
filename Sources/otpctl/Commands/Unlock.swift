import ArgumentParser
import OTPCore
import OTPStore

struct Unlock: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Clear a user's wrong-code count and recent attempts, ending any back-off.")

  @OptionGroup var named: NamedUserOptions

  func run() throws {
    try reportingErrors {
      let target = try named.resolve()
      let update: SecretFileStore.Update<Int>
      do throws(StoreError) {
        update = try target.store.update { file in
          let failures = file.clearFailures()
          file.rateLimit?.times = []
          return failures
        }
      } catch {
        throw target.failure(error)
      }
      if let error = update.writeError { throw CLIError(error) }
      print("Unlocked \(named.user) (\(update.result) wrong code\(update.result == 1 ? "" : "s") in a row cleared)")
    }
  }
}
