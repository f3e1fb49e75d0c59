import ArgumentParser
import Testing

@testable import otpctl

/// `otpctl code --at` takes the times a secret file can hold; any other
/// time is a usage error, never a trap in the step arithmetic.
struct CodeTimeTests {
  @Test(arguments: ["--at=-9223372036854775808", "--at=9223372036854775807", "--at=-1", "--at=1000000000000"])
  func aTimeOutsideTheFilesRangeIsAUsageError(_ argument: String) {
    let error = #expect(throws: (any Error).self) { try OTPCtl.parseAsRoot(["code", "alice", argument]) }
    guard let error else { return }
    #expect(OTPCtl.exitCode(for: error).rawValue == CLIError.Kind.usage.rawValue)
    #expect(OTPCtl.message(for: error).contains("--at must be a time between 0 and 999999999999"))
  }

  @Test(arguments: [Int64(0), 1_700_000_000, 999_999_999_999])
  func aTimeTheFileCanHoldIsTaken(_ time: Int64) throws {
    let code = try #require(try OTPCtl.parseAsRoot(["code", "alice", "--at", String(time)]) as? Code)
    #expect(code.at == time)
  }
}
