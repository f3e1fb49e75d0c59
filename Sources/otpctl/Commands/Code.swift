import ArgumentParser
import OTPCore

struct Code: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the code the module expects now (HOTP: the next one; nothing is consumed).")

  @OptionGroup var target: TargetOptions

  @Option(
    help: ArgumentHelp(
      "The time to compute the code for, in seconds since 1970 (0 to \(SecretFile.timeRange.upperBound)).",
      valueName: "unixtime"))
  var at: Int64?

  @Option(help: ArgumentHelp("The token whose code to print (default: the first).", valueName: "name"))
  var token: String?

  func validate() throws {
    // The times a secret file can hold; outside them the step and skew
    // arithmetic would have no meaning (and could overflow).
    if let at, !SecretFile.timeRange.contains(at) {
      throw ValidationError(
        "--at must be a time between \(SecretFile.timeRange.lowerBound) and \(SecretFile.timeRange.upperBound) seconds since 1970")
    }
  }

  func run() throws {
    try reportingErrors {
      let file = try Target.resolve(target).readSecretFile().selectToken(token)
      let counter: UInt64
      switch file.mode {
      case .totp:
        // The centre of the module's window: the current step plus the stored skew.
        let now = at ?? System.now
        let step = OneTimePassword.timeStep(at: now, period: file.effectiveStepSize)
        let (centre, overflow) = step.addingReportingOverflow(file.timeSkew ?? 0)
        guard !overflow, centre >= 0 else {
          throw CLIError(.dataError, "no code: with the stored clock skew of \(file.timeSkew ?? 0) steps, this time is before the first code")
        }
        counter = UInt64(centre)
      case .hotp(let next):
        counter = next
      case .scratchCodesOnly:
        throw CLIError(.dataError, "this secret file accepts scratch codes only")
      }
      if !file.isActive {
        Terminal.error("note: token \(file.name) awaits confirmation; the module does not accept its codes yet")
      }
      print(file.generator.code(counter: counter).text)
    }
  }
}
