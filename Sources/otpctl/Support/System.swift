#if canImport(Glibc)
import Glibc
#endif

/// The few facts otpctl asks of the system, straight from libc (Foundation
/// would link megabytes into the static binary for each of them).
enum System {
  /// Seconds since 1970, as the module reads the clock.
  static var now: Int64 { Int64(time(nil)) }

  /// gethostname(2): the default issuer an authenticator app shows.
  static var hostName: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The working directory, to make a relative --secret-file absolute.
  static var currentDirectory: String? {
    guard let path = getcwd(nil, 0) else { return nil }
    defer { free(path) }
    return String(cString: path)
  }
}
