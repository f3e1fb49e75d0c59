import Foundation
import Testing

/// An account that exists on every Debian system (root, daemon, bin,
/// nobody), for tests that need a real user but no home directory.
struct SystemAccount {
  let name: String
  let uid: uid_t
  let gid: gid_t

  static func named(_ name: String) throws -> SystemAccount {
    let entry = try #require(getpwnam(name), "no account \(name) in the passwd database").pointee
    return SystemAccount(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
  }
}
