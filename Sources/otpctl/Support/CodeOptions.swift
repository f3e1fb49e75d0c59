import ArgumentParser
import OTPCore

/// How a new token makes its codes: the options `enroll` and `token add`
/// share, with their checks, so that the two commands cannot drift apart.
struct CodeOptions: ParsableArguments {
  @Flag(exclusivity: .exclusive, help: "Time-based (TOTP, the default) or counter-based (HOTP) codes.")
  var mode: Mode = .totp

  enum Mode: String, EnumerableFlag {
    case totp, hotp
  }

  @Option(help: "The HMAC hash: SHA1 (default; every app), SHA256 or SHA512.")
  var algorithm: String = "SHA1"

  @Option(help: "Digits per code: 6 (default), 7 or 8.")
  var digits: Int = 6

  @Option(help: ArgumentHelp("Seconds per TOTP code, 1 to 300.", valueName: "seconds"))
  var period: Int = 30

  @Option(help: "How many codes are valid at once (3: the previous, current and next).")
  var window: Int = 3

  @Flag(name: .customLong("allow-reuse"), help: "Let a TOTP code be used more than once within its window.")
  var allowReuse = false

  var isHOTP: Bool { mode == .hotp }
  /// The checked `--algorithm`.
  var hash: HashAlgorithm { HashAlgorithm(name: Array(algorithm.utf8)) ?? .sha1 }

  func validate() throws {
    guard HashAlgorithm(name: Array(algorithm.utf8)) != nil else {
      throw ValidationError("--algorithm must be SHA1, SHA256 or SHA512")
    }
    guard OneTimePassword.digitRange.contains(digits) else { throw ValidationError("--digits must be 6, 7 or 8") }
    guard OneTimePassword.periodRange.contains(period) else {
      throw ValidationError("--period must be between 1 and 300 seconds")
    }
    guard SecretFile.windowSizeRange.contains(window) else { throw ValidationError("--window must be between 1 and 100") }
    if isHOTP && allowReuse { throw ValidationError("--allow-reuse applies to TOTP only") }
    if isHOTP && period != 30 { throw ValidationError("--period applies to TOTP only") }
  }
}
