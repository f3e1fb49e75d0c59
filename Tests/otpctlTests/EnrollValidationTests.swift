import ArgumentParser
import Testing

@testable import otpctl

/// Bad enroll options are refused while parsing, before any file is touched,
/// with a message that names the option and the exit code 64 (EX_USAGE,
/// documented in `otpctl --help`).
struct EnrollValidationTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let arguments: [String]
    /// A part of the message the user must see.
    let message: String
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let cases: [Case] = [
    Case(arguments: ["--digits", "5"], message: "--digits must be 6, 7 or 8"),
    Case(arguments: ["--digits", "9"], message: "--digits must be 6, 7 or 8"),
    Case(arguments: ["--digits=-6"], message: "--digits must be 6, 7 or 8"),
    Case(arguments: ["--period", "0"], message: "--period must be between 1 and 300 seconds"),
    Case(arguments: ["--period", "301"], message: "--period must be between 1 and 300 seconds"),
    Case(arguments: ["--window", "0"], message: "--window must be between 1 and 100"),
    Case(arguments: ["--window", "101"], message: "--window must be between 1 and 100"),
    Case(arguments: ["--scratch-codes", "101"], message: "--scratch-codes must be between 0 and 100"),
    Case(arguments: ["--scratch-codes=-1"], message: "--scratch-codes must be between 0 and 100"),
    Case(arguments: ["--rate-limit", "0/30"], message: "--rate-limit must be N/SECONDS"),
    Case(arguments: ["--rate-limit", "3/3601"], message: "--rate-limit must be N/SECONDS"),
    Case(arguments: ["--rate-limit", "three"], message: "--rate-limit must be N/SECONDS"),
    Case(arguments: ["--rate-limit", "3/30", "--no-rate-limit"], message: "--rate-limit and --no-rate-limit exclude each other"),
    Case(arguments: ["--hotp", "--allow-reuse"], message: "--allow-reuse applies to TOTP only"),
    Case(arguments: ["--hotp", "--period", "60"], message: "--period applies to TOTP only"),
    Case(arguments: ["--algorithm", "MD5"], message: "--algorithm must be SHA1, SHA256 or SHA512"),
    Case(arguments: ["--algorithm", "SHA-256"], message: "--algorithm must be SHA1, SHA256 or SHA512"),
    // Errors ArgumentParser itself reports.
    Case(arguments: ["--totp", "--hotp"], message: "--hotp"),
    Case(arguments: ["--digits", "six"], message: "--digits"),
    Case(arguments: ["--qr", "sixel"], message: "--qr"),
    Case(arguments: ["--window"], message: "--window"),
    // A negative number after a space reads as an option, not as the value.
    Case(arguments: ["--digits", "-6"], message: "--digits"),
    Case(arguments: ["--no-such-option"], message: "--no-such-option"),
    Case(arguments: ["alice", "bob"], message: "bob"),
  ]

  @Test(arguments: cases)
  func isRefusedWithAUsageError(_ testCase: Case) {
    let error = #expect(throws: (any Error).self) { try Enroll.parse(testCase.arguments) }
    guard let error else { return }
    let message = Enroll.message(for: error)
    #expect(message.contains(testCase.message), "message: \(message)")
    #expect(Enroll.exitCode(for: error).rawValue == CLIError.Kind.usage.rawValue)
  }

  /// The same validation runs when the whole command line is parsed.
  @Test(arguments: cases)
  func isRefusedFromTheRoot(_ testCase: Case) {
    let error = #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["enroll"] + testCase.arguments) }
    guard let error else { return }
    #expect(OTPCtl.exitCode(for: error).rawValue == 64)
  }
}
