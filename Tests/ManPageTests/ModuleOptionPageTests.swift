import Testing

@testable import OTPCore

/// pam_otp(8) (scripts/man/pam_otp.8.in) has an entry for every option in the
/// module's option table, and none for an option the module does not accept.
struct ModuleOptionPageTests {
  @Test func theOptionsSectionListsExactlyTheModulesOptions() throws {
    let documented = try ManPageSource.read("pam_otp.8.in").entries(inSection: "OPTIONS")
    let accepted = Set(ModuleOptions.table.map(\.name))
    #expect(!accepted.isEmpty)
    #expect(accepted.subtracting(documented).sorted() == [], "options the module accepts but pam_otp(8) omits")
    #expect(documented.subtracting(accepted).sorted() == [], "options pam_otp(8) lists but the module refuses")
  }
}
