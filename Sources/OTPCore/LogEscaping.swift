/// Bytes that came from a client (a login name, a host name, a path built
/// from them) as they may appear in a log line: every byte that could end a
/// field or start another (space, `=`, `"`, `%`, control characters,
/// non-ASCII) is percent-escaped, so a name like `x result=success` can
/// never add a field that a log reader would trust.
public enum LogEscaping {
  public static func escape<Bytes: Collection<UInt8>>(_ value: Bytes, limit: Int = 256) -> String {
    var text: [UInt8] = []
    for byte in value.prefix(limit) {
      if isPlain(byte) {
        text.append(byte)
      } else {
        text.append(UInt8(ascii: "%"))
        text += Hex.digits(of: byte, uppercase: true)
      }
    }
    if value.count > limit { text += Array("...".utf8) }
    return String(decoding: text, as: UTF8.self)
  }

  public static func isPlain(_ byte: UInt8) -> Bool {
    byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"")
      && byte != UInt8(ascii: "%")
  }
}
