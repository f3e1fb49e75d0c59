import CShims

/// Runs file operations with another account's file-system identity.
///
/// `setfsuid`/`setfsgid` change only the identity used for permission checks,
/// and on Linux only for the calling thread, so the rest of sshd or sudo is
/// unaffected. The previous identity is restored before returning.
enum FileSystemIdentity {
  static func run<Result>(as account: Account?, _ body: () throws(StoreError) -> Result) throws(StoreError)
    -> Result
  {
    guard let account, needsSwitch(to: account) else { return try body() }
    let previousGroup = UInt32(bitPattern: cshim_setfsgid(account.gid))
    let previousUser = UInt32(bitPattern: cshim_setfsuid(account.uid))
    defer {
      _ = cshim_setfsuid(previousUser)
      _ = cshim_setfsgid(previousGroup)
    }
    // setfsuid returns the old value even when it fails; asking again
    // (with an invalid id, which changes nothing) reads the current one.
    guard UInt32(bitPattern: cshim_setfsuid(UInt32.max)) == account.uid,
      UInt32(bitPattern: cshim_setfsgid(UInt32.max)) == account.gid
    else {
      throw .system(path: "", SystemError(.identity, code: EPERM))
    }
    return try body()
  }

  /// Only root can switch; anyone else already acts as themselves.
  private static func needsSwitch(to account: Account) -> Bool {
    geteuid() == 0 && account.uid != 0
  }
}
