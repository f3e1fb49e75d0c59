import ArgumentParser
import OTPCore
import OTPStore

extension Target {
  /// The secret file, or a CLI error that says what is wrong with it.
  func readSecretFile() throws(CLIError) -> SecretFile {
    do {
      return try store.read()
    } catch {
      throw failure(error)
    }
  }
}

/// Options of the commands that show a URI.
struct URIOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The token to show (default: the first; otpctl token list names them).", valueName: "name"))
  var token: String?

  @Option(help: "The issuer the app shows (default: this host's name).")
  var issuer: String?

  @Option(help: "The account name the app shows (default: the user name).")
  var label: String?
}
