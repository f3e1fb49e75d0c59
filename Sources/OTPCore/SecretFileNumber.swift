/// How one number in an option line is read and written: the most digits
/// the reader takes (leading zeros count) and the range it keeps. The
/// writer clamps into the same range, so whatever a `SecretFile` holds, the
/// file written from it is one the reader accepts.
struct SecretFileNumber<Value: FixedWidthInteger & Sendable>: Sendable {
  let range: ClosedRange<Value>
  let maxDigits: Int

  /// Digits, with a leading `-` only where the range has negative values.
  func read(_ field: ArraySlice<UInt8>) -> Value? {
    let negative = field.first == ASCII.minus
    guard !negative || range.lowerBound < 0,
      let magnitude = Decimal.parse(negative ? field.dropFirst() : field, maxDigits: maxDigits),
      let unsigned = Value(exactly: magnitude)
    else { return nil }
    let value = negative ? 0 - unsigned : unsigned
    return range.contains(value) ? value : nil
  }

  /// Every field a number, or nil.
  func read<Fields: Collection<ArraySlice<UInt8>>>(list fields: Fields) -> [Value]? {
    var values: [Value] = []
    values.reserveCapacity(fields.count)
    for field in fields {
      guard let value = read(field) else { return nil }
      values.append(value)
    }
    return values
  }

  /// The digits of `value`, brought into the range first.
  func text(_ value: Value) -> [UInt8] {
    Decimal.format(min(max(value, range.lowerBound), range.upperBound))
  }

  /// ` VALUE`: one field, after the space that separates it.
  func field(_ value: Value) -> [UInt8] { [ASCII.space] + text(value) }

  /// ` V1 V2 ...`, or nothing for an empty list.
  func fields(_ values: [Value]) -> [UInt8] {
    var text: [UInt8] = []
    for value in values { text += field(value) }
    return text
  }
}
