import ArgumentParser
import OTPStore

#if canImport(Glibc)
import Glibc
#endif

/// A failure the user can act on: one line on stderr and a documented exit
/// code (sysexits.h numbers, listed in `otpctl --help`).
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
  /// Runs `body`, turning a `CLIError` into its message and exit code.
  func reportingErrors(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as CLIError {
      Terminal.error("otpctl: \(error.message)")
      throw ExitCode(error.kind.rawValue)
    }
  }
}
