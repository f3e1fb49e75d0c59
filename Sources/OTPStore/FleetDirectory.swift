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
  /// The connection of the last phase, and its server.
  private var kept: Connection? = nil
  private var keptIndex = 0

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
    // Server down, timeout, connect error (libldap's -1, -5, -11); busy,
    // unavailable, time limit exceeded (the server's 51, 52, 3). A missing
    // libldap (CFLEET_NO_LIBRARY) would be missing for every server.
    code == -1 || code == -5 || code == -11 || code == 51 || code == 52 || code == 3
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
      var code: Int32 = 0
      var connection: Connection? = nil
      var reused = false
      if let kept, keptIndex == index {
        connection = kept
        reused = true
      } else {
        (code, connection) = open(configuration.uris[index])
      }
      kept = nil
      var final = code
      if let connection { final = body(connection) }
      budget -= Int64((cshim_monotonic_ns() - began) / 1_000_000)
      if final == 0 || !Self.movesOn(final) {
        start = index
        // Kept for the login's next phase: one TLS handshake and bind
        // instead of two.
        kept = connection
        keptIndex = index
        if final == 0 || final == 122 || final == 32 || final == 16 || final == 20 { return final }
        lastError = "\(ASCII.printable(configuration.uris[index])): \(Self.text(final))"
        throw .refused(final)
      }
      lastError = "\(ASCII.printable(configuration.uris[index])): \(Self.text(final))"
      // A kept connection the server has closed meanwhile (an idle
      // timeout): the same server once more, on a fresh one. A server that
      // stopped answering is passed over.
      if reused && final == -1 { continue }
      index += 1
    }
    throw .unavailable
  }

  /// The time limit of the next operation.
  package var operationLimit: Int { Int(max(1, min(configuration.timeLimit, budget))) }

  private func open(_ uri: [UInt8]) -> (Int32, Connection?) {
    let scheme = FleetConfiguration.scheme(of: uri)
    var handle: OpaquePointer? = nil
    var strings = PackedStrings()
    for value in [
      uri, configuration.caFile, configuration.certFile, configuration.keyFile, configuration.bindDN,
      configuration.bindPassword,
    ] {
      strings.append(value)
    }
    let timeout = Int(max(1, min(configuration.timeLimit, budget)))
    let networkTimeout = Int(max(1, min(configuration.bindTimeLimit, budget)))
    let external: Int32 = configuration.saslExternal ? 1 : 0
    let code = strings.withPointers { pointers in
      var connect = cfleet_connect(
        uri: pointers[0], start_tls: scheme == .ldap ? 1 : 0, ca_file: pointers[1], cert_file: pointers[2],
        key_file: pointers[3], sasl_external: external, bind_dn: pointers[4], bind_pw: pointers[5],
        timeout_ms: timeout, network_timeout_ms: networkTimeout)
      return cfleet_open(&connect, &handle)
    }
    strings.wipe()
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

/// One bound connection; closed (unbind) when the last reference goes.
package final class Connection {
  let handle: OpaquePointer

  init(handle: OpaquePointer) {
    self.handle = handle
  }

  deinit { cfleet_close(handle) }

  /// Searches; the entries, or the LDAP code.
  package func search(base: [UInt8], subtree: Bool, filter: [UInt8], attributes: [String], limit: Int, sizeLimit: Int32)
    -> (Int32, [DirectoryEntry])
  {
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var length = 0
    var strings = PackedStrings()
    strings.append(base)
    strings.append(filter)
    for attribute in attributes { strings.append(Array(attribute.utf8)) }
    let code = strings.withPointers { pointers in
      var list = Array(pointers[2...])
      list.append(nil)
      return list.withUnsafeBufferPointer { list in
        cfleet_search(
          handle, pointers[0], subtree ? 2 : 0, pointers[1], list.baseAddress, limit, sizeLimit, &buffer, &length)
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
    var strings = PackedStrings()
    strings.append(dn)
    strings.append(assertion)
    for change in changes {
      strings.append(Array(change.1.utf8))
      strings.append(change.2)
    }
    let operations: [Int32] = changes.map {
      switch $0.0 {
      case .add: 0
      case .delete: 1
      case .replace: 2
      case .increment: 3
      }
    }
    let lengths = strings.lengths
    return strings.withPointers { pointers in
      var mods: [cfleet_mod] = []
      for index in operations.indices {
        let value = pointers[3 + 2 * index].map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
        mods.append(
          cfleet_mod(op: operations[index], attribute: pointers[2 + 2 * index], value: value, length: lengths[3 + 2 * index]))
      }
      return mods.withUnsafeBufferPointer { mods in
        cfleet_modify(handle, pointers[0], mods.baseAddress, Int32(mods.count), pointers[1], limit)
      }
    }
  }
}

extension Connection {
  /// Adds an entry (otpctl); consecutive values of one attribute
  /// (objectClass) become one attribute of several values.
  package func add(_ dn: [UInt8], _ attributes: [(String, [UInt8])], limit: Int) -> Int32 {
    var strings = PackedStrings()
    strings.append(dn)
    for attribute in attributes {
      strings.append(Array(attribute.0.utf8))
      strings.append(attribute.1)
    }
    let lengths = strings.lengths
    let code = strings.withPointers { pointers in
      var mods: [cfleet_mod] = []
      for index in attributes.indices {
        let value = pointers[2 + 2 * index].map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
        mods.append(cfleet_mod(op: 0, attribute: pointers[1 + 2 * index], value: value, length: lengths[2 + 2 * index]))
      }
      return mods.withUnsafeBufferPointer { mods in cfleet_add(handle, pointers[0], mods.baseAddress, Int32(mods.count), limit) }
    }
    strings.wipe()
    return code
  }

  package func delete(_ dn: [UInt8], limit: Int) -> Int32 {
    withCString(dn) { cfleet_delete(handle, $0, limit) }
  }
}

/// Several byte strings in one buffer, each followed by a NUL, so that C
/// gets pointers to all of them from one closure (nested closures, one per
/// string, cost the embedded module tens of kilobytes).
struct PackedStrings {
  private var bytes: [UInt8] = []
  private var starts: [Int] = []
  /// Each string's length without its NUL (0 for an absent one).
  private(set) var lengths: [Int] = []

  mutating func append(_ value: [UInt8]?) {
    guard let value else {
      starts.append(-1)
      lengths.append(0)
      return
    }
    starts.append(bytes.count)
    lengths.append(value.count)
    bytes += value
    bytes.append(0)
  }

  /// Pointers to each string (nil for an absent one), valid during `body`.
  func withPointers(_ body: ([UnsafePointer<CChar>?]) -> Int32) -> Int32 {
    bytes.withUnsafeBufferPointer { buffer in
      let pointers: [UnsafePointer<CChar>?] = starts.map { start in
        guard start >= 0, let base = buffer.baseAddress else { return nil }
        return UnsafeRawPointer(base + start).assumingMemoryBound(to: CChar.self)
      }
      return body(pointers)
    }
  }

  /// Clears the buffer (it may hold a password or a secret).
  mutating func wipe() {
    for index in bytes.indices { bytes[index] = 0 }
  }
}
