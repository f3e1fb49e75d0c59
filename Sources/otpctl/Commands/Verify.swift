import ArgumentParser
import OTPCore
import OTPStore

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a code and consume it, exactly as the PAM module does.",
    discussion: "Exit status 0: accepted; 1: refused; others: errors (see otpctl --help).")

  /// `verify CODE` or `verify USER CODE`: ArgumentParser would give a lone
  /// value to an optional first argument, so both come as one list.
  @Argument(help: ArgumentHelp("The user (default: you), then the code to check.", valueName: "user-and-code"))
  var arguments: [String] = []

  var user: String? { arguments.count == 2 ? arguments[0] : nil }
  var code: String { arguments.last ?? "" }

  @Option(name: .customLong("secret-file"), help: ArgumentHelp("Use this secret file.", valueName: "path"))
  var secretFile: String?

  func validate() throws {
    guard (1...2).contains(arguments.count) else {
      throw ValidationError("give the code to check, or a user and the code")
    }
  }

  var targetOptions: TargetOptions {
    var options = TargetOptions()
    options.user = user
    options.secretFile = secretFile
    return options
  }

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(targetOptions)
      var answer = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
      defer { SensitiveBytes.wipe(&answer) }
      let now = System.now
      let update: SecretFileStore.Update<(Verdict, String?)>
      do throws(StoreError) {
        update = try target.store.update { file in
          var matched: Int? = nil
          let verdict = Verifier(token: file).verify(
            readings: [answer], at: now, remoteHost: nil, state: &file, matchedToken: &matched)
          return (verdict, matched.flatMap { file.token(at: $0)?.name })
        }
      } catch {
        throw target.failure(error)
      }
      if let error = update.writeError {
        throw CLIError(error, advice: "the state could not be saved, so the code was not accepted")
      }
      switch update.result.0 {
      case .accepted(let acceptance):
        print("accepted (\(acceptance.label)\(update.result.1.map { ", token \($0)" } ?? ""))")
      case .refused(let refusal):
        Terminal.error("refused: \(refusal.reason)")
        throw ExitCode(CLIError.Kind.refused.rawValue)
      }
    }
  }
}

extension Acceptance {
  var label: String {
    switch self {
    case .totp: "time-based code"
    case .hotp(let counter): "counter-based code #\(counter)"
    case .scratchCode: "scratch code"
    case .skewAdjusted(_, let skew): "time-based code; clock skew of \(skew) steps adjusted"
    case .sentCode: "code sent by e-mail or SMS"
    }
  }
}
