extension SecretFile {
  /// The file's bytes, written strictly: upper-case Base32 without padding,
  /// option lines in the order they were read (new ones after the secret,
  /// where GA puts them), then the scratch codes, every line ending in `\n`.
  /// Every value is written within the range the parser reads (see
  /// `OptionKey`), so the result always parses again.
  ///
  /// The result holds the secret and wipes itself when released. The
  /// secret's text and the scratch codes go straight into it, never through
  /// an array that would be freed without being wiped.
  public func serialized() -> SensitiveBytes {
    let output = SensitiveBytes(capacity: 256 + 9 * scratchCodes.count + 512 * others.count)
    secret.withUnsafeBytes { key in Base32.encode(key) { symbol in output.append(symbol) } }
    output.append(ASCII.newline)
    for (key, value) in orderedLines() {
      guard key != .token else {
        // The further tokens, where their first line was read.
        for token in others {
          output.append(contentsOf: [ASCII.quote, ASCII.space] + key.nameBytes)
          TokenLine.write(token, to: output)
          output.append(ASCII.newline)
        }
        continue
      }
      output.append(contentsOf: [ASCII.quote, ASCII.space] + key.nameBytes + value)
      output.append(ASCII.newline)
    }
    // Only codes the parser reads back: in GA's range, no repeats, no more
    // than a file holds.
    var written = 0
    for (index, code) in scratchCodes.enumerated()
    where written < Self.maximumScratchCodes && Self.scratchCodeRange.contains(code)
      && !scratchCodes[..<index].contains(code)
    {
      Decimal.forEachDigit(of: UInt64(code), width: 8) { digit in output.append(digit) }
      output.append(ASCII.newline)
      written += 1
    }
    return output
  }

  /// The option lines present now, as key and value: the lines read, in
  /// their order, after the new ones.
  func orderedLines() -> [(key: OptionKey, value: [UInt8])] {
    var present: [(key: OptionKey, value: [UInt8])] = []
    for key in OptionKey.all {
      if let value = key.write(self) {
        present.append((key, value))
      } else if key == .token && !others.isEmpty {
        present.append((key, []))  // a place holder: `serialized` writes the lines
      }
    }
    var lines = present.filter { line in !lineOrder.contains(line.key) }
    for key in lineOrder {
      if let line = present.first(where: { $0.key == key }) { lines.append(line) }
    }
    return lines
  }
}
