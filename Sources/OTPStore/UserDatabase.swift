import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// An entry of the user database (`/etc/passwd`, LDAP through NSS, ...).
public struct UserRecord: Sendable {
  public let name: [UInt8]
  public let account: Account
  public let home: [UInt8]

  public var nameText: String { String(decoding: name, as: UTF8.self) }
}

/// Looks users up with the reentrant `getpw*_r` calls: the module may run in
/// several threads of one process.
public enum UserDatabase {
  public static func lookup(name: [UInt8]) -> UserRecord? {
    guard !name.isEmpty, !name.contains(0) else { return nil }
    return withCString(name) { cName in
      query { entry, buffer, size, result in getpwnam_r(cName, entry, buffer, size, result) }
    }
  }

  public static func lookup(uid: UInt32) -> UserRecord? {
    query { entry, buffer, size, result in getpwuid_r(uid, entry, buffer, size, result) }
  }

  /// `user=` takes a name or a numeric uid.
  public static func lookup(nameOrUID: [UInt8]) -> UserRecord? {
    if let record = lookup(name: nameOrUID) { return record }
    guard let uid = nameOrUID.isEmpty ? nil : parseUID(nameOrUID) else { return nil }
    return lookup(uid: uid)
  }

  private static func parseUID(_ text: [UInt8]) -> UInt32? {
    Decimal.parse(text, maxDigits: 10).flatMap { $0 < UInt64(UInt32.max) ? UInt32($0) : nil }
  }

  private typealias Query = (
    UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>
  ) -> Int32

  private static func query(_ call: Query) -> UserRecord? {
    var size = 1024
    while size <= 1 << 20 {
      var entry = passwd()
      var result: UnsafeMutablePointer<passwd>? = nil
      var buffer = [CChar](repeating: 0, count: size)
      let status = buffer.withUnsafeMutableBufferPointer { storage in
        call(&entry, storage.baseAddress.unsafelyUnwrapped, size, &result)
      }
      if status == ERANGE {
        size *= 4
        continue
      }
      guard status == 0, result != nil, let name = entry.pw_name else { return nil }
      let home = entry.pw_dir.map { bytes(of: $0) } ?? []
      return UserRecord(
        name: bytes(of: name), account: Account(uid: entry.pw_uid, gid: entry.pw_gid), home: home)
    }
    return nil
  }

  static func bytes(of text: UnsafePointer<CChar>) -> [UInt8] {
    let length = strlen(text)
    return text.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
  }
}
