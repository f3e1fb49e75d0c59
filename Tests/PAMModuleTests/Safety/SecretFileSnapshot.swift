import Foundation
import OTPCore
import Testing

/// A secret file as OTPCore's own parser reads it, so a test can say the
/// file still parses and what state it holds.
enum SecretFileSnapshot {
  static func parse(_ path: String) throws -> SecretFile {
    let bytes = try #require(FileManager.default.contents(atPath: path), "cannot read \(path)")
    switch parse(bytes) {
    case .success(let file): return file
    case .failure(let error):
      throw HarnessError("\(path) no longer parses: \(error.description)\n\(String(decoding: bytes, as: UTF8.self))")
    }
  }

  static func parse(_ bytes: Data) -> Result<SecretFile, SecretFileError> {
    bytes.withUnsafeBytes { raw in
      do throws(SecretFileError) { return .success(try SecretFile(parsing: raw)) } catch { return .failure(error) }
    }
  }

  /// The next HOTP counter, or nil for a file in another mode.
  static func hotpCounter(_ file: SecretFile) -> UInt64? {
    if case .hotp(let next) = file.mode { return next }
    return nil
  }
}
