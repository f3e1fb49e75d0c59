import Testing

@testable import otpctl

/// otpctl(1)'s EXIT STATUS (scripts/man/otpctl.1.in; the rest of that page is
/// generated from the argument parser) lists every exit code otpctl uses:
/// 0 and each CLIError.Kind.
struct ExitStatusPageTests {
  @Test func theExitStatusSectionListsExactlyTheCodesOtpctlUses() throws {
    let documented = try ManPageSource.read("otpctl.1.in").entries(inSection: "EXIT STATUS")
    let used = Set(["0"] + CLIError.Kind.allCases.map { String($0.rawValue) })
    #expect(used.subtracting(documented).sorted() == [], "exit codes otpctl uses but otpctl(1) omits")
    #expect(documented.subtracting(used).sorted() == [], "exit codes otpctl(1) lists but otpctl never uses")
  }
}
