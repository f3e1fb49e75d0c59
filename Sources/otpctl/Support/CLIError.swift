import ArgumentParser
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// A failure the user can act on: one line on stderr (with `--json`, one
/// object on stdout) and a documented exit code (sysexits.h numbers, listed
/// in `otpctl --help`).
struct CLIError: Error, CustomStringConvertible {
  enum Kind: Int32, CaseIterable {
    case refused = 1
    case usage = 64
    case dataError = 65
    case notEnrolled = 66
    case unknownUser = 67
    case exists = 73
    case ioError = 74
    case permission = 77

    /// What the exit code means, as `otpctl --help` and a JSON error say it.
    var meaning: String {
      switch self {
      case .refused: "code refused or not confirmed"
      case .usage: "usage error"
      case .dataError: "malformed or unsafe secret file"
      case .notEnrolled: "not enrolled"
      case .unknownUser: "unknown user"
      case .exists: "a secret file exists already"
      case .ioError: "input/output error"
      case .permission: "permission denied"
      }
    }
  }

  let kind: Kind
  let message: String

  init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  var description: String { message }

  /// An error from the secret-file store, with advice where there is some.
  init(_ error: StoreError, advice: String? = nil) {
    let text = error.description + (advice.map { "\n" + $0 } ?? "")
    switch error {
    case .notFound: self.init(.notEnrolled, text)
    case .invalidPath: self.init(.usage, text)
    case .unsafeDirectory, .unsafeFile, .malformed: self.init(.dataError, text)
    case .alreadyExists: self.init(.exists, text + " (use --force to replace it)")
    case .lockTimeout: self.init(.ioError, text)
    case .system(_, let system):
      self.init(system.code == EACCES || system.code == EPERM ? .permission : .ioError, text)
    }
  }
}

extension ParsableCommand {
  /// Runs `body`, turning a `CLIError` into its message (a JSON object when
  /// `json`) and exit code.
  func reportingErrors(json: Bool = false, _ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as CLIError {
      ErrorReport.show(error.message, exitCode: error.kind.rawValue, asJSON: json)
      throw ExitCode(error.kind.rawValue)
    }
  }
}

/// How a failure reaches the caller. As text: `otpctl: MESSAGE` on standard
/// error, advice on the lines after it. With `--json`: one object on
/// standard output, where the command's result would have been, so a
/// script reads one JSON document whatever happened and the exit code says
/// which it is: `{"error", "exit_code", "meaning"}`, and `"advice"` when
/// there is some.
enum ErrorReport {
  static func show(_ message: String, exitCode: Int32, asJSON: Bool) {
    guard asJSON else {
      Terminal.error("otpctl: \(message)")
      return
    }
    do throws(CLIError) {
      try JSONOutput.print(json(message, exitCode: exitCode))
    } catch {
      Terminal.error("otpctl: \(message)")
    }
  }

  static func json(_ message: String, exitCode: Int32) -> JSONValue {
    let lines = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    var object: [String: JSONValue] = [
      "error": .string(String(lines.first ?? "")), "exit_code": .number(exitCode),
      "meaning": .string(CLIError.Kind(rawValue: exitCode)?.meaning ?? "error"),
    ]
    if lines.count > 1 { object["advice"] = .string(String(lines[1])) }
    return .object(object)
  }

  /// Whether the command line asks for JSON: `--json` before any `--`.
  /// Read from the words themselves, so that an error found while parsing
  /// them (a usage error) is given as JSON too.
  static func asksForJSON(_ arguments: [String]) -> Bool {
    arguments.prefix { $0 != "--" }.contains("--json")
  }
}
