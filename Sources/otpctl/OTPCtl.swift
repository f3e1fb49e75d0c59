import ArgumentParser
import OTPCore

@main
struct OTPCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "otpctl",
    abstract: "Enrol users for pam_otp and manage their one-time password secrets.",
    discussion: """
      Secrets live in /var/lib/pam_otp/USER (root only) unless --secret-file names
      another file, such as GA's ~/.google_authenticator.

      Exit codes: 0 success; 1 code refused or not confirmed (verify, enroll
      --confirm, token add --confirm, revoke, token remove of the last token);
      64 usage error; 65 malformed or unsafe secret file; 66 not enrolled; 67
      unknown user; 73 a secret file exists already (token add, rename: a token
      of that name); 74 input/output error; 77 permission denied. With --json,
      an error is one JSON object on standard output,
      {"error": ..., "exit_code": N, "meaning": ...}, instead of text on
      standard error.
      """,
    version: PAMOTPVersion.text,
    subcommands: [
      Enroll.self, Token.self, Code.self, Verify.self, URI.self, QR.self, Status.self, Deliver.self, Unlock.self,
      Revoke.self, Import.self,
    ]
  )

  /// ArgumentParser's own main, except that with --json an error found
  /// while parsing (a usage error) is a JSON object too, as the errors of
  /// the commands' run() are.
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    var command: any ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      let code = exitCode(for: error)
      if code != .success && ErrorReport.asksForJSON(arguments) {
        ErrorReport.show(message(for: error), exitCode: code.rawValue, asJSON: true)
        exit(withError: code)
      }
      exit(withError: error)
    }
    do {
      try command.run()
    } catch {
      exit(withError: error)
    }
  }
}
