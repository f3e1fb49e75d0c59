import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// A user account as the file checks need it.
public struct Account: Equatable, Sendable {
  public var uid: UInt32
  public var gid: UInt32

  public init(uid: UInt32, gid: UInt32) {
    self.uid = uid
    self.gid = gid
  }

  public static let root = Account(uid: 0, gid: 0)
}

/// Where a secret file lives and whose it is.
///
/// The directory that holds the file decides whose identity is used: in a
/// directory owned by root (the default `/var/lib/pam_otp`) the file is read
/// and replaced as root, and the user cannot even read their own secret, so
/// a stolen shell cannot mint codes for sudo. In a directory the user owns
/// (GA's `~/.google_authenticator`) it is opened with the user's file-system
/// identity, never as root, so nothing the user plants there can make root
/// read or write another file.
public struct SecretFileLocation: Sendable {
  /// Absolute path, as bytes (paths need not be UTF-8).
  public var path: [UInt8]
  /// The account the secret belongs to: the user, or GA's `user=` account.
  public var account: Account
  /// Permission bits the file may have (GA's `allowed_perm`, default 0600).
  public var allowedPermissions: UInt32
  /// GA's `no_strict_owner` turns the file-owner check off.
  public var strictOwner: Bool

  public init(path: [UInt8], account: Account, allowedPermissions: UInt32 = 0o600, strictOwner: Bool = true) {
    self.path = path
    self.account = account
    self.allowedPermissions = allowedPermissions
    self.strictOwner = strictOwner
  }

  public static let defaultDirectory = "/var/lib/pam_otp"
  public static let maximumSize = 64 * 1024

  /// The path as error messages and log lines show it: a user name in it
  /// comes from the client, so unusual bytes are escaped (`%20`).
  public var pathText: String { LogEscaping.escape(path, limit: 1024) }

  /// The path split into its directory components and the file name, after
  /// refusing what a safe walk cannot follow.
  package func components() throws(StoreError) -> (directories: [[UInt8]], name: [UInt8]) {
    guard path.first == UInt8(ascii: "/") else {
      throw .invalidPath(path: pathText, reason: "not absolute")
    }
    guard !path.contains(0) else { throw .invalidPath(path: pathText, reason: "contains NUL") }
    var parts: [[UInt8]] = []
    for part in path.split(separator: UInt8(ascii: "/")) {
      if part.count == 1 && part.first == UInt8(ascii: ".") { continue }
      guard !(part.count == 2 && part.allSatisfy({ $0 == UInt8(ascii: ".") })) else {
        throw .invalidPath(path: pathText, reason: "contains '..'")
      }
      parts.append(Array(part))
    }
    guard let name = parts.popLast(), path.last != UInt8(ascii: "/") else {
      throw .invalidPath(path: pathText, reason: "names a directory, not a file")
    }
    return (parts, name)
  }
}
