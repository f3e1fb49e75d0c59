import ArgumentParser
import OTPCore
import OTPStore

struct Unlock: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Clear a user's wrong-code count and recent attempts, ending any back-off.")

  @Argument(help: "The user to unlock.")
  var user: String

  @Option(name: .customLong("secret-file"), help: ArgumentHelp("Use this secret file.", valueName: "path"))
  var secretFile: String?

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(user: user, secretFile: secretFile)
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
      print("Unlocked \(user) (\(update.result) wrong code\(update.result == 1 ? "" : "s") in a row cleared)")
    }
  }
}
