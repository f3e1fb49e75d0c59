/// The `ldap=FILE` configuration: where a fleet of hosts keeps its tokens.
/// Keys follow nslcd.conf(5), which administrators of LDAP hosts know:
///
///     uri ldap://ldap1.example/ ldap://ldap2.example/   (several; in order)
///     base dc=example,dc=org
///     binddn cn=host,dc=example,dc=org
///     bindpw SECRET                 (the file is then root's, mode 0600)
///     sasl_mech EXTERNAL            (instead of binddn/bindpw)
///     ssl start_tls                 (or: on, for ldaps://)
///     tls_reqcert demand            (the only value: certificates are checked)
///     tls_cacertfile /etc/ssl/certs/ldap-ca.pem
///     tls_cert, tls_key             (a client certificate, for SASL EXTERNAL)
///     timelimit 3                   (seconds per operation)
///     bind_timelimit 3              (seconds to connect and bind)
///
/// and pam_otp's own:
///
///     tokenbase ou=tokens,dc=example,dc=org    (default: base)
///     user_filter (uid=%s)                     (%s: the user name, escaped)
///     login_timelimit 10                       (all LDAP time of one login)
///
/// A configuration that would send secrets in clear is refused: every URI
/// is `ldaps://`, `ldap://` with `ssl start_tls`, or `ldapi://`.
public struct FleetConfiguration: Sendable, Equatable {
  public var uris: [[UInt8]] = []
  public var base: [UInt8] = []
  public var tokenBase: [UInt8]? = nil
  public var userFilter: [UInt8] = Array("(uid=%s)".utf8)
  public var bindDN: [UInt8]? = nil
  public var bindPassword: [UInt8]? = nil
  public var saslExternal = false
  public var startTLS = false
  public var caFile: [UInt8]? = nil
  public var certFile: [UInt8]? = nil
  public var keyFile: [UInt8]? = nil
  /// Milliseconds.
  public var timeLimit: Int64 = 3000
  public var bindTimeLimit: Int64 = 3000
  public var loginTimeLimit: Int64 = 10_000

  public init() {}

  public var tokenSearchBase: [UInt8] { tokenBase ?? base }

  // Not Equatable: comparing its Strings would pull Unicode tables into
  // the embedded module.
  public enum ParseError: Error, Sendable {
    case line(Int, String)
    case invalid(String)

    public var description: String {
      switch self {
      case .line(let number, let reason): "line \(number): \(reason)"
      case .invalid(let reason): reason
      }
    }
  }

  public static func parse(_ text: [UInt8]) throws(ParseError) -> FleetConfiguration {
    var configuration = FleetConfiguration()
    var number = 0
    for line in text.split(separator: 0x0A, omittingEmptySubsequences: false) {
      number += 1
      var line = Array(line)
      if line.last == 0x0D { line.removeLast() }
      guard !line.contains(0) else { throw .line(number, "contains a NUL byte") }
      let trimmed = Self.trim(line)
      if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
      let split = trimmed.firstIndex(where: Self.isSpace) ?? trimmed.endIndex
      let key = Array(trimmed[..<split])
      let value = Self.trim(Array(trimmed[split...]))
      guard !value.isEmpty else { throw .line(number, "\(ASCII.printable(key)) needs a value") }
      // Bytes, not String: comparing Strings would pull Unicode tables
      // into the embedded module.
      func `is`(_ name: StaticString) -> Bool { key.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)) }
      let lower = Self.lowercased(value)
      func valueIs(_ name: StaticString) -> Bool { lower.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)) }
      if `is`("uri") {
        for uri in value.split(whereSeparator: Self.isSpace) {
          let uri = Array(uri)
          guard Self.scheme(of: uri) != nil else { throw .line(number, "uri must be ldap://, ldaps:// or ldapi://") }
          configuration.uris.append(uri)
        }
      } else if `is`("base") {
        configuration.base = value
      } else if `is`("tokenbase") {
        configuration.tokenBase = value
      } else if `is`("user_filter") {
        guard value.first == UInt8(ascii: "("), value.last == UInt8(ascii: ")"),
          Self.occurrences(of: Array("%s".utf8), in: value) == 1
        else { throw .line(number, "user_filter must be a parenthesized filter with one %s") }
        configuration.userFilter = value
      } else if `is`("binddn") {
        configuration.bindDN = value
      } else if `is`("bindpw") {
        configuration.bindPassword = value
      } else if `is`("sasl_mech") {
        guard valueIs("external") else {
          throw .line(number, "sasl_mech: only EXTERNAL is supported")
        }
        configuration.saslExternal = true
      } else if `is`("ssl") {
        if valueIs("start_tls") {
          configuration.startTLS = true
        } else if valueIs("on") || valueIs("off") {
          configuration.startTLS = false
        } else {
          throw .line(number, "ssl must be start_tls, on or off")
        }
      } else if `is`("tls_reqcert") {
        // Anything weaker would accept a man in the middle.
        guard valueIs("demand") || valueIs("hard") else {
          throw .line(number, "tls_reqcert must be demand or hard: certificates are always checked")
        }
      } else if `is`("tls_cacertfile") {
        configuration.caFile = value
      } else if `is`("tls_cert") {
        configuration.certFile = value
      } else if `is`("tls_key") {
        configuration.keyFile = value
      } else if `is`("timelimit") {
        configuration.timeLimit = try Self.seconds(value, line: number) * 1000
      } else if `is`("bind_timelimit") {
        configuration.bindTimeLimit = try Self.seconds(value, line: number) * 1000
      } else if `is`("login_timelimit") {
        configuration.loginTimeLimit = try Self.seconds(value, line: number) * 1000
      } else {
        throw .line(number, "unknown key \(ASCII.printable(key))")
      }
    }
    try configuration.validate()
    return configuration
  }

  public enum Scheme: Equatable, Sendable { case ldap, ldaps, ldapi }

  public static func scheme(of uri: [UInt8]) -> Scheme? {
    let lower = lowercased(uri)
    if lower.starts(with: Array("ldaps://".utf8)) { return .ldaps }
    if lower.starts(with: Array("ldapi://".utf8)) { return .ldapi }
    if lower.starts(with: Array("ldap://".utf8)) { return .ldap }
    return nil
  }

  func validate() throws(ParseError) {
    guard !uris.isEmpty else { throw .invalid("no uri") }
    guard !base.isEmpty else { throw .invalid("no base") }
    for uri in uris {
      switch Self.scheme(of: uri) {
      case .ldapi, .ldaps: break
      case .ldap:
        guard startTLS else {
          throw .invalid("\(ASCII.printable(uri)) would send secrets in clear: set ssl start_tls or use ldaps://")
        }
      case nil: throw .invalid("bad uri")
      }
    }
    let needsTLS = uris.contains { Self.scheme(of: $0) != .ldapi }
    if needsTLS, caFile == nil {
      throw .invalid("tls_cacertfile is required: the servers' certificates are checked against it")
    }
    if saslExternal, bindDN != nil { throw .invalid("binddn and sasl_mech EXTERNAL exclude each other") }
    if bindDN != nil, bindPassword == nil { throw .invalid("binddn needs bindpw") }
    guard timeLimit > 0, bindTimeLimit > 0, loginTimeLimit > 0 else { throw .invalid("time limits must be positive") }
  }

  /// `%s` in the user filter, with the name escaped as RFC 4515 asks, so a
  /// user name cannot change the filter.
  public func filter(forUser user: [UInt8]) -> [UInt8] {
    ASCII.replacing(Array("%s".utf8), in: userFilter, with: Self.escapeFilterValue(user))
  }

  public static func escapeFilterValue(_ value: [UInt8]) -> [UInt8] {
    var escaped: [UInt8] = []
    let hex = Array("0123456789abcdef".utf8)
    for byte in value {
      if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
        || byte == UInt8(ascii: "\\") || byte == 0 || byte >= 0x80
      {
        escaped += [UInt8(ascii: "\\"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
      } else {
        escaped.append(byte)
      }
    }
    return escaped
  }

  static func seconds(_ value: [UInt8], line: Int) throws(ParseError) -> Int64 {
    guard let number = Decimal.parse(value, maxDigits: 4), number >= 1, number <= 600 else {
      throw .line(line, "a time limit is 1 to 600 seconds")
    }
    return Int64(number)
  }

  static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

  static func trim(_ bytes: [UInt8]) -> [UInt8] {
    guard let first = bytes.firstIndex(where: { !isSpace($0) }),
      let last = bytes.lastIndex(where: { !isSpace($0) })
    else { return [] }
    return Array(bytes[first...last])
  }

  static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
    bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
  }

  static func occurrences(of part: [UInt8], in bytes: [UInt8]) -> Int {
    guard bytes.count >= part.count else { return 0 }
    var count = 0
    for start in 0...(bytes.count - part.count) where bytes[start..<(start + part.count)].elementsEqual(part) {
      count += 1
    }
    return count
  }
}
