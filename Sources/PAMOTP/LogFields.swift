import CPAM

/// The `user= service= rhost= tty=` fields of a log line. Their values come
/// from the client (sshd passes the login name through), so they are
/// escaped (see `LogEscaping`), and so is every reason that carries a path.
enum LogFields {
  static func context(_ pam: PAMHandle, user: [UInt8]?) -> String {
    let service = pam.item(PAM_SERVICE).map(escape) ?? "-"
    let host = pam.item(PAM_RHOST).map(escape) ?? "-"
    let tty = pam.item(PAM_TTY).map(escape) ?? "-"
    return "user=\(user.map(escape) ?? "-") service=\(service) rhost=\(host) tty=\(tty)"
  }

  static func escape(_ value: [UInt8]) -> String { LogEscaping.escape(value) }

  /// A reason inside `reason="…"`: its words keep their spaces, and
  /// nothing in it can close the quotes or start a line. A path in it is
  /// escaped already (`%XX`), so `%` is left as it is.
  static func quoted(_ reason: String) -> String {
    var text: [UInt8] = []
    for byte in reason.utf8 {
      if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") {
        text.append(byte)
      } else {
        text += Array(LogEscaping.escape([byte]).utf8)
      }
    }
    return "\"" + String(decoding: text, as: UTF8.self) + "\""
  }
}
