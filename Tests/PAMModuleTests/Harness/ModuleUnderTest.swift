import Foundation
import Testing

/// The built module every test loads through libpam: `PAM_OTP_MODULE`
/// (scripts/test sets it to the release build), else the release build of
/// this package. A missing module fails every test that needs it; nothing
/// is skipped silently.
enum ModuleUnderTest {
  static let path: String = {
    if let path = ProcessInfo.processInfo.environment["PAM_OTP_MODULE"], !path.isEmpty { return path }
    return packageRoot.appendingPathComponent(".build/release/libpam_otp.so").path
  }()

  /// Three levels up from this file: Tests/PAMModuleTests/Harness.
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
  }

  /// The module's absolute path, or a recorded failure that says how to get one.
  static func requirePath() throws -> String {
    try #require(
      FileManager.default.fileExists(atPath: path),
      "pam_otp module not found at \(path): build it with `swift build -c release` or set PAM_OTP_MODULE")
    // A PAM stack line splits its fields at white space.
    try #require(path.hasPrefix("/") && !path.contains(where: \.isWhitespace), "module path \(path) must be absolute, without spaces")
    return path
  }
}
