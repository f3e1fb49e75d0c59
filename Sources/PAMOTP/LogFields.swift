import CPAM

/// The `user= service= rhost= tty=` fields of a log line. Their values come
/// from the client (sshd passes the login name through), so every byte that
/// could end a field or start another (space, `=`, `"`, `%`, control
/// characters, non-ASCII) is percent-escaped: a name like
/// `x result=success` can never add a field a log reader would trust.
enum LogFields {
  static func context(_ pam: PAMHandle, user: [UInt8]?) -> String {
    let service = pam.item(PAM_SERVICE).map(escape) ?? "-"
    let host = pam.item(PAM_RHOST).map(escape) ?? "-"
    let tty = pam.item(PAM_TTY).map(escape) ?? "-"
    return "user=\(user.map(escape) ?? "-") service=\(service) rhost=\(host) tty=\(tty)"
  }

  static func escape(_ value: [UInt8]) -> String {
    var text: [UInt8] = []
    for byte in value.prefix(256) {
      let plain = byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"")
        && byte != UInt8(ascii: "%")
      if plain {
        text.append(byte)
      } else {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        text += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
      }
    }
    if value.count > 256 { text += Array("...".utf8) }
    return String(decoding: text, as: UTF8.self)
  }
}
