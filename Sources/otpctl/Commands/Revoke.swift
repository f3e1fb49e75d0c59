import ArgumentParser
import OTPStore

struct Revoke: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Delete a user's secret file.")

  @Argument(help: "The user whose secret to delete.")
  var user: String

  @Option(name: .customLong("secret-file"), help: ArgumentHelp("Delete this secret file.", valueName: "path"))
  var secretFile: String?

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(user: user, secretFile: secretFile)
      do throws(StoreError) {
        try target.store.remove()
      } catch {
        throw target.failure(error)
      }
      print("Revoked \(user): removed \(target.path)")
    }
  }
}
