import Foundation
import Testing

@testable import otpctl

/// With --json, a failure is one JSON object on standard output:
/// {"error", "exit_code", "meaning"} and "advice" when there is some.
struct JSONErrorTests {
  @Test func everyExitCodeHasTheMeaningTheHelpGivesIt() {
    let help = OTPCtl.configuration.discussion.replacingOccurrences(of: "\n", with: " ")
    for kind in CLIError.Kind.allCases {
      #expect(help.contains("\(kind.rawValue) \(kind.meaning)"), "help lacks \"\(kind.rawValue) \(kind.meaning)\"")
    }
  }

  @Test func anErrorIsItsFirstLineAndTheAdviceApart() throws {
    let error = CLIError(.permission, "/var/lib/pam_otp: cannot open: permission denied\nAsk an administrator.\nOr not.")
    let object = try decode(ErrorReport.json(error.message, exitCode: error.kind.rawValue))
    #expect(object["error"] as? String == "/var/lib/pam_otp: cannot open: permission denied")
    #expect(object["advice"] as? String == "Ask an administrator.\nOr not.")
    #expect(object["exit_code"] as? Int == 77)
    #expect(object["meaning"] as? String == "permission denied")
  }

  @Test func anErrorWithoutAdviceHasNoAdviceKey() throws {
    let object = try decode(ErrorReport.json("no such user: bob", exitCode: 67))
    #expect(Set(object.keys) == ["error", "exit_code", "meaning"])
    #expect(object["meaning"] as? String == "unknown user")
  }

  @Test(arguments: [
    (["status", "alice", "--json"], true), (["--json"], true), (["enroll", "--digits", "9", "--json"], true),
    (["status", "alice"], false), (["verify", "--", "--json"], false), (["status", "--jsonx"], false),
  ])
  func jsonIsAskedForByTheWordBeforeAnyDoubleDash(arguments: [String], asks: Bool) {
    #expect(ErrorReport.asksForJSON(arguments) == asks)
  }

  private func decode(_ value: JSONValue) throws -> [String: Any] {
    let text = try JSONOutput.text(value)
    return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }
}
