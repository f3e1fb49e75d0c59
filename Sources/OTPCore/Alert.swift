/// Something an administrator, and the user, should hear of at once rather
/// than find in syslog. `LoginPolicy` decides which alerts a login raises;
/// the module hands each to the `notify=` program as `PROGRAM alert EVENT`
/// with the fields below on standard input. No field ever holds a code, a
/// scratch code or the secret.
public enum Alert: Equatable, Sendable {
  /// A wrong code started a back-off, or a longer one: `failures` wrong
  /// codes in a row, no attempt before `until`.
  case backoff(failures: Int, until: Int64)
  /// A login succeeded after `count` wrong codes since the last success:
  /// someone else may know the password.
  case failures(count: Int)
  /// A scratch code was used; `left` remain.
  case scratch(left: Int)
  /// A success from a remote host not seen for this user before (the host
  /// is the `rhost` field).
  case newHost
  /// The secret file cannot be used (malformed, unsafe, unreadable); the
  /// module adds why.
  case unusable
  /// A user without a secret set one up at this login
  /// (`enroll=first-login`): if it was not them, someone else holds their
  /// second factor now.
  case enrolled

  /// The event's name: the program's second argument and the `event` field.
  public var event: String {
    switch self {
    case .backoff: "backoff"
    case .failures: "failures"
    case .scratch: "scratch"
    case .newHost: "new-host"
    case .unusable: "unusable"
    case .enrolled: "enrolled"
    }
  }

  /// The fields of this event, after the ones every alert has.
  var ownFields: [(String, [UInt8])] {
    switch self {
    case .backoff(let failures, let until): [("failures", Decimal.format(failures)), ("until", Decimal.format(until))]
    case .failures(let count): [("failures", Decimal.format(count))]
    case .scratch(let left): [("scratch_codes_left", Decimal.format(left))]
    case .newHost, .unusable, .enrolled: []
    }
  }

  /// What the login knows around the event, filled in by the module.
  public struct Context {
    /// The account's own name (the secret file's).
    public var user: [UInt8]
    public var service: [UInt8]?
    public var remoteHost: [UInt8]?
    public var tty: [UInt8]?
    /// When the module decided (Unix time).
    public var time: Int64
    /// The user's delivery address, in full: the program may need to reach
    /// the user. It goes on standard input, where no other user can read it.
    public var delivery: DeliveryAddress?
    /// Why the file is unusable, as the log line says it.
    public var reason: [UInt8]?

    public init(
      user: [UInt8], service: [UInt8]?, remoteHost: [UInt8]?, tty: [UInt8]?, time: Int64,
      delivery: DeliveryAddress?, reason: [UInt8]?
    ) {
      self.user = user
      self.service = service
      self.remoteHost = remoteHost
      self.tty = tty
      self.time = time
      self.delivery = delivery
      self.reason = reason
    }
  }

  /// The program's standard input: one `key=value` line per field, every
  /// field always present (empty when unknown), in this order: `event`,
  /// `user`, `service`, `rhost`, `tty`, `time`, `delivery`, then the
  /// event's own, then `reason` for `unusable`. Values are escaped (see
  /// `AlertInput.escape`).
  public func input(_ context: Context) -> [UInt8] {
    var fields: [(String, [UInt8])] = [
      ("event", Array(event.utf8)), ("user", context.user), ("service", context.service ?? []),
      ("rhost", context.remoteHost ?? []), ("tty", context.tty ?? []),
      ("time", Decimal.format(max(context.time, 0))), ("delivery", context.delivery.map { Array($0.text.utf8) } ?? []),
    ]
    fields += ownFields
    if self == .unusable { fields.append(("reason", context.reason ?? [])) }
    var text: [UInt8] = []
    for (key, value) in fields { text += Array(key.utf8) + [UInt8(ascii: "=")] + AlertInput.escape(value) + [ASCII.newline] }
    return text
  }
}

/// How values reach the `notify=` program.
public enum AlertInput {
  /// Printable ASCII stays as it is, spaces included, except `%`, `"` and
  /// `\`; every other byte (control characters, non-ASCII) becomes `%XX`.
  /// A value therefore never ends its line, and a script may put it inside
  /// a quoted JSON string or a mail header as it is. Client-given values
  /// (user, host, tty) come through this too.
  public static func escape<Bytes: Collection<UInt8>>(_ value: Bytes, limit: Int = 1024) -> [UInt8] {
    var text: [UInt8] = []
    for byte in value.prefix(limit) {
      if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "\"")
        && byte != UInt8(ascii: "\\")
      {
        text.append(byte)
      } else {
        text.append(UInt8(ascii: "%"))
        text += Hex.digits(of: byte, uppercase: true)
      }
    }
    return text
  }
}
