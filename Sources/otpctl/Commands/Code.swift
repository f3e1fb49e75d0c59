import ArgumentParser
import OTPCore

struct Code: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the code the module expects now (HOTP: the next one; nothing is consumed).")

  @OptionGroup var target: TargetOptions

  @Option(help: ArgumentHelp("The time to compute the code for, in seconds since 1970.", valueName: "unixtime"))
  var at: Int64?

  func run() throws {
    try reportingErrors {
      let file = try Target.resolve(target).readSecretFile()
      let counter: UInt64
      switch file.mode {
      case .totp:
        // The centre of the module's window: the current step plus the stored skew.
        let now = at ?? System.now
        let step = OneTimePassword.timeStep(at: now, period: file.effectiveStepSize) + (file.timeSkew ?? 0)
        counter = UInt64(max(step, 0))
      case .hotp(let next):
        counter = next
      case .scratchCodesOnly:
        throw CLIError(.dataError, "this secret file accepts scratch codes only")
      }
      print(file.generator.code(counter: counter).text)
    }
  }
}
