extension SecretFile {
  /// The file's bytes, written strictly: upper-case Base32 without padding,
  /// option lines in the order they were read (new ones after the secret,
  /// where GA puts them), then the scratch codes, every line ending in `\n`.
  /// Every value is written within the range the parser reads (see
  /// `OptionKey`), so the result always parses again.
  /// The result holds the secret and wipes itself when released.
  public func serialized() -> SensitiveBytes {
    var text: [UInt8] = []
    text.reserveCapacity(
      4096 + 2 * secret.count + 9 * scratchCodes.count + 13 * (usedSteps?.count ?? 0)
        + 13 * (rateLimit?.times.count ?? 0))
    var secretBytes = secret.copyBytes()
    text += Base32.encode(secretBytes)
    SensitiveBytes.wipe(&secretBytes)
    text.append(ASCII.newline)
    for (key, value) in orderedLines() {
      text += [ASCII.quote, ASCII.space] + key.nameBytes + value
      text.append(ASCII.newline)
    }
    // Only codes the parser reads back: in GA's range, no repeats, no more
    // than a file holds.
    var written = 0
    for (index, code) in scratchCodes.enumerated()
    where written < Self.maximumScratchCodes && Self.scratchCodeRange.contains(code)
      && !scratchCodes[..<index].contains(code)
    {
      text += Decimal.format(UInt64(code), width: 8)
      text.append(ASCII.newline)
      written += 1
    }
    return SensitiveBytes(consuming: &text)
  }

  /// The option lines present now, as key and value: the lines read, in
  /// their order, after the new ones.
  func orderedLines() -> [(key: OptionKey, value: [UInt8])] {
    var present: [(key: OptionKey, value: [UInt8])] = []
    for key in OptionKey.all {
      if let value = key.write(self) { present.append((key, value)) }
    }
    var lines = present.filter { line in !lineOrder.contains(line.key) }
    for key in lineOrder {
      if let line = present.first(where: { $0.key == key }) { lines.append(line) }
    }
    return lines
  }
}
