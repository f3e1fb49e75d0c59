import CFleetLDAP
import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
#endif

/// The fleet's directory for one login: the servers in the configured
/// order (every host lists them in the same order, so all of them write
/// to the same one while it answers), and a budget of LDAP time for the
/// whole login (`login_timelimit`), each operation bounded by `timelimit`.
///
/// A server that refuses the connection is passed over at once; one that
/// accepts but does not answer costs at most the operation's time limit,
/// and the next is tried.
package struct FleetDirectory {
  package let configuration: FleetConfiguration
  /// Milliseconds of LDAP time this login has left.
  package private(set) var budget: Int64
  /// The first server to try: past one that failed in this login.
  private var start = 0
  /// What went wrong last, for the log.
  package private(set) var lastError = ""

  package init(configuration: FleetConfiguration) {
    self.configuration = configuration
    self.budget = configuration.loginTimeLimit
  }

  package enum Failure: Error {
    /// No server answered in time.
    case unavailable
    /// A server answered with an error that another server would repeat
    /// (a bad bind, a missing right): the configuration is wrong.
    case refused(Int32)
  }

  /// Codes after which the next server may do better.
  static func movesOn(_ code: Int32) -> Bool {
    // server down, timeout, connect error, busy, unavailable, timelimit, CFLEET_NO_LIBRARY is final
    code == -1 || code == -5 || code == -11 || code == 51 || code == 52 || code == 3 || code == -7
  }

  /// Runs `body` on a connection to the first server that answers; when a
  /// server stops answering during `body`, the next one is tried (so
  /// `body` must be safe to run again). Returns the final LDAP code: 0, or
  /// an answer the caller judges (122 assertion failed, 32 no such object,
  /// 16 no such attribute, 20 value exists).
  @discardableResult
  package mutating func withConnection(_ body: (Connection) -> Int32) throws(Failure) -> Int32 {
    var index = start
    while index < configuration.uris.count {
      guard budget > 0 else {
        lastError = "login_timelimit reached"
        throw .unavailable
      }
      let began = cshim_monotonic_ns()
      let (code, connection) = open(configuration.uris[index])
      var final = code
      if let connection {
        final = body(connection)
        connection.close()
      }
      budget -= Int64((cshim_monotonic_ns() - began) / 1_000_000)
      if final == 0 || !Self.movesOn(final) {
        start = index
        if final == 0 || final == 122 || final == 32 || final == 16 || final == 20 { return final }
        lastError = "\(ASCII.printable(configuration.uris[index])): \(Self.text(final))"
        throw .refused(final)
      }
      lastError = "\(ASCII.printable(configuration.uris[index])): \(Self.text(final))"
      index += 1
    }
    throw .unavailable
  }

  /// The time limit of the next operation.
  package var operationLimit: Int { Int(max(1, min(configuration.timeLimit, budget))) }

  private func open(_ uri: [UInt8]) -> (Int32, Connection?) {
    let scheme = FleetConfiguration.scheme(of: uri)
    var handle: OpaquePointer? = nil
    let code = withCString(uri) { uri in
      withOptionalCString(configuration.caFile) { ca in
        withOptionalCString(configuration.certFile) { cert in
          withOptionalCString(configuration.keyFile) { key in
            withOptionalCString(configuration.bindDN) { dn in
              withOptionalCString(configuration.bindPassword) { password in
                var connect = cfleet_connect(
                  uri: uri, start_tls: scheme == .ldap ? 1 : 0, ca_file: ca, cert_file: cert, key_file: key,
                  sasl_external: configuration.saslExternal ? 1 : 0, bind_dn: dn, bind_pw: password,
                  timeout_ms: Int(max(1, min(configuration.timeLimit, budget))),
                  network_timeout_ms: Int(max(1, min(configuration.bindTimeLimit, budget))))
                return cfleet_open(&connect, &handle)
              }
            }
          }
        }
      }
    }
    guard code == 0, let handle else { return (code, nil) }
    return (0, Connection(handle: handle))
  }

  package static func text(_ code: Int32) -> String {
    guard let text = cfleet_error_text(code) else { return "error \(code)" }
    var bytes: [UInt8] = []
    var pointer = UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self)
    while pointer.pointee != 0, bytes.count < 200 {
      bytes.append(pointer.pointee)
      pointer += 1
    }
    return "\(ASCII.printable(bytes, limit: 200)) (\(code))"
  }
}

/// One bound connection.
package struct Connection {
  let handle: OpaquePointer

  func close() { cfleet_close(handle) }

  /// Searches; the entries, or the LDAP code.
  package func search(base: [UInt8], subtree: Bool, filter: [UInt8], attributes: [String], limit: Int, sizeLimit: Int32)
    -> (Int32, [DirectoryEntry])
  {
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var length = 0
    let code = withCString(base) { base in
      withCString(filter) { filter in
        withCStringArray(attributes) { attributes in
          cfleet_search(handle, base, subtree ? 2 : 0, filter, attributes, limit, sizeLimit, &buffer, &length)
        }
      }
    }
    guard code == 0 else { return (code, []) }
    guard let buffer else { return (0, []) }
    let entries = Self.parse(UnsafeBufferPointer(start: buffer, count: length))
    // It held secrets.
    for index in 0..<length { buffer[index] = 0 }
    cfleet_free(buffer)
    return (0, entries)
  }

  /// Decodes cfleet_search's buffer (see its header).
  static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [DirectoryEntry] {
    var entries: [DirectoryEntry] = []
    var index = 0
    while index + 5 <= bytes.count {
      let kind = bytes[index]
      let length =
        Int(bytes[index + 1]) << 24 | Int(bytes[index + 2]) << 16 | Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
      index += 5
      guard length <= bytes.count - index else { break }
      let value = Array(bytes[index..<(index + length)])
      index += length
      switch kind {
      case UInt8(ascii: "E"): entries.append(DirectoryEntry(dn: value))
      case UInt8(ascii: "A"):
        if !entries.isEmpty { entries[entries.count - 1].attributes.append((name: value, values: [])) }
      default:
        if !entries.isEmpty, !entries[entries.count - 1].attributes.isEmpty {
          let last = entries[entries.count - 1].attributes.count - 1
          entries[entries.count - 1].attributes[last].values.append(value)
        }
      }
    }
    return entries
  }

  package enum Operation { case add, delete, replace, increment }

  /// One modify; with `assertion`, guarded by the Assertion control.
  package func modify(_ dn: [UInt8], _ changes: [(Operation, String, [UInt8]?)], assertion: [UInt8]?, limit: Int) -> Int32 {
    // Values and names stay alive in these arrays during the call.
    let names: [[UInt8]] = changes.map { Array($0.1.utf8) + [0] }
    let values: [[UInt8]] = changes.map { $0.2 ?? [] }
    return withCString(dn) { dn in
      withOptionalCString(assertion) { assertion in
        names.withPointers { namePointers in
          values.withPointers { valuePointers in
            var mods: [cfleet_mod] = []
            for (index, change) in changes.enumerated() {
              let op: Int32 =
                switch change.0 {
                case .add: 0
                case .delete: 1
                case .replace: 2
                case .increment: 3
                }
              mods.append(
                cfleet_mod(
                  op: op, attribute: namePointers[index].map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                  value: change.2 == nil ? nil : valuePointers[index], length: values[index].count))
            }
            return mods.withUnsafeBufferPointer { mods in
              cfleet_modify(handle, dn, mods.baseAddress, Int32(mods.count), assertion, limit)
            }
          }
        }
      }
    }
  }
}

extension Connection {
  /// Adds an entry (otpctl): every attribute value once.
  package func add(_ dn: [UInt8], _ attributes: [(String, [UInt8])], limit: Int) -> Int32 {
    let names: [[UInt8]] = attributes.map { Array($0.0.utf8) + [0] }
    let values: [[UInt8]] = attributes.map { $0.1 }
    return withCString(dn) { dn in
      names.withPointers { namePointers in
        values.withPointers { valuePointers in
          var mods: [cfleet_mod] = []
          for index in attributes.indices {
            mods.append(
              cfleet_mod(
                op: 0, attribute: namePointers[index].map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                value: valuePointers[index], length: values[index].count))
          }
          return mods.withUnsafeBufferPointer { mods in
            cfleet_add(handle, dn, mods.baseAddress, Int32(mods.count), limit)
          }
        }
      }
    }
  }

  package func delete(_ dn: [UInt8], limit: Int) -> Int32 {
    withCString(dn) { cfleet_delete(handle, $0, limit) }
  }
}

func withOptionalCString<Result>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
  guard let bytes else { return body(nil) }
  return withCString(bytes) { body($0) }
}

/// A NULL-terminated array of C strings for `body`.
func withCStringArray<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
  let storage: [[UInt8]] = strings.map { Array($0.utf8) + [0] }
  return storage.withPointers { pointers in
    var list: [UnsafePointer<CChar>?] = pointers.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } }
    list.append(nil)
    return list.withUnsafeBufferPointer { body($0.baseAddress.unsafelyUnwrapped) }
  }
}

extension Array where Element == [UInt8] {
  /// Pointers to each element's bytes, valid during `body` (nil for an
  /// empty element).
  func withPointers<Result>(_ body: ([UnsafePointer<UInt8>?]) -> Result) -> Result {
    func step(_ index: Int, _ collected: [UnsafePointer<UInt8>?]) -> Result {
      guard index < count else { return body(collected) }
      return self[index].withUnsafeBufferPointer { buffer in step(index + 1, collected + [buffer.baseAddress]) }
    }
    return step(0, [])
  }
}
