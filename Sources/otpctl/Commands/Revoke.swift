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
      var options = TargetOptions()
      options.user = user
      options.secretFile = secretFile
      let target = try Target.resolve(options)
      do throws(StoreError) {
        try target.store.remove()
      } catch {
        if case .notFound = error { throw CLIError(.notEnrolled, "\(user) is not enrolled (no \(target.path))") }
        throw CLIError(error)
      }
      print("Revoked \(user): removed \(target.path)")
    }
  }
}
