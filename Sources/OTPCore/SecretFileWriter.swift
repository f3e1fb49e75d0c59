extension SecretFile {
  /// The file's bytes, written strictly: upper-case Base32 without padding,
  /// option lines in the order they were read (new ones after the secret,
  /// where GA puts them), then the scratch codes, every line ending in `\n`.
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
    for key in orderedKeys() {
      guard let value = value(of: key) else { continue }
      text += Array("\" \(key.name)".utf8)
      text += value
      text.append(ASCII.newline)
    }
    for code in scratchCodes {
      text += Decimal.format(UInt64(code), width: 8)
      text.append(ASCII.newline)
    }
    return SensitiveBytes(consuming: &text)
  }

  /// Keys present now: those read, in their order, after new ones.
  func orderedKeys() -> [OptionKey] {
    var present = OptionKey.fixedKeys.filter { value(of: $0) != nil }
    present += lastLogins.map { OptionKey.last($0.slot) }
    let added = present.filter { !lineOrder.contains($0) }
    return added + lineOrder.filter { present.contains($0) }
  }

  /// The text after the key (with its leading space), or nil if the option
  /// is absent.
  func value(of key: OptionKey) -> [UInt8]? {
    switch key {
    case .rateLimit:
      guard let rateLimit else { return nil }
      return numbers([Int64(rateLimit.attempts), Int64(rateLimit.interval)] + rateLimit.times)
    case .windowSize: return windowSize.map { numbers([Int64($0)]) }
    case .stepSize: return stepSize.map { numbers([Int64($0)]) }
    case .disallowReuse: return usedSteps.map { numbers($0) }
    case .totpAuth: return mode == .totp ? [] : nil
    case .hotpCounter:
      guard case .hotp(let counter) = mode else { return nil }
      return [ASCII.space] + Decimal.format(counter)
    case .timeSkew: return timeSkew.map { numbers([$0]) }
    case .resettingTimeSkew:
      // GA writes a space after the key even when the list is empty.
      guard let skewObservations else { return nil }
      var text: [UInt8] = [ASCII.space]
      for (index, observation) in skewObservations.enumerated() {
        if index > 0 { text.append(ASCII.space) }
        text += Decimal.format(observation.step)
        text.append(observation.skew < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        text += Decimal.format(observation.skew.magnitude)
      }
      return text
    case .last(let slot):
      guard let login = lastLogins.first(where: { $0.slot == slot }) else { return nil }
      return [ASCII.space] + login.host + [ASCII.space] + Decimal.format(login.time)
    case .digits: return digits.map { numbers([Int64($0)]) }
    case .algorithm: return algorithm.map { [ASCII.space] + Array($0.name.utf8) }
    case .failures: return failures.map { numbers([Int64($0.count), $0.last]) }
    case .deliver: return delivery.map { [ASCII.space] + Array($0.text.utf8) }
    case .deliveryCode:
      guard let sent = sentCode else { return nil }
      return numbers([sent.expires, sent.sent]) + [ASCII.space] + Hex.encode(sent.salt) + [ASCII.space]
        + Hex.encode(sent.hash)
    case .deliveries: return deliveryTimes.map { numbers($0) }
    }
  }

  private func numbers(_ values: [Int64]) -> [UInt8] {
    var text: [UInt8] = []
    for value in values { text += [ASCII.space] + Decimal.format(value) }
    return text
  }
}
