import FoundationEssentials

/// A JSON value as otpctl prints it (--json). Encoded by FoundationEssentials'
/// JSONEncoder: the lighter half of Foundation, without the ICU data that
/// JSONSerialization would link into the static binary.
enum JSONValue: Encodable, Equatable {
  case string(String)
  case signed(Int64)
  case unsigned(UInt64)
  case bool(Bool)
  case null
  case array([JSONValue])
  case object([String: JSONValue])

  /// Any integer, exactly (an HOTP counter may exceed Int64).
  static func number(_ value: some BinaryInteger) -> JSONValue {
    if let signed = Int64(exactly: value) { return .signed(signed) }
    return .unsigned(UInt64(clamping: value))
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .string(let text): try container.encode(text)
    case .signed(let number): try container.encode(number)
    case .unsigned(let number): try container.encode(number)
    case .bool(let flag): try container.encode(flag)
    case .null: try container.encodeNil()
    case .array(let values): try container.encode(values)
    case .object(let members): try container.encode(members)
    }
  }
}

enum JSONOutput {
  /// One object on one line, keys sorted, so scripts and people can diff it.
  static func print(_ value: JSONValue) throws(CLIError) {
    Swift.print(try text(value))
  }

  static func text(_ value: JSONValue) throws(CLIError) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self)
    } catch {
      throw CLIError(.ioError, "cannot write JSON: \(error)")
    }
  }
}
