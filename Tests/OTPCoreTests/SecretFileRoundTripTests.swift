import Testing

@testable import OTPCore

/// Whatever a `SecretFile` holds, the file written from it is one the parser
/// reads: values out of the parser's ranges are clamped to its bounds (or
/// left out where no bound exists), values inside them come back unchanged.
struct SecretFileRoundTripTests {
  static let rounds = 2_000

  @Test func everyWrittenFileParsesAgain() throws {
    var random = SeededRandom(seed: 0x5EC2_E7F1_1E00_0001)
    for round in 0..<Self.rounds {
      let file = Self.randomFile(&random, extremes: true)
      let written = text(of: file)
      let reparsed: SecretFile
      do { reparsed = try parse(written) } catch {
        Issue.record("round \(round): \(error.description)\n\(written)")
        return
      }
      // Stable: what was read back is written the same way.
      #expect(text(of: reparsed) == written, "round \(round)")
    }
  }

  @Test func valuesInsideTheRangesComeBackUnchanged() throws {
    var random = SeededRandom(seed: 0x5EC2_E7F1_1E00_0002)
    for round in 0..<Self.rounds {
      let file = Self.randomFile(&random, extremes: false)
      let reparsed = try parse(text(of: file))
      #expect(reparsed.secret.copyBytes() == file.secret.copyBytes(), "round \(round)")
      #expect(reparsed.mode == file.mode)
      #expect(reparsed.algorithm == file.algorithm)
      #expect(reparsed.digits == file.digits)
      #expect(reparsed.stepSize == file.stepSize)
      #expect(reparsed.windowSize == file.windowSize)
      #expect(reparsed.rateLimit == file.rateLimit)
      #expect(reparsed.usedSteps == file.usedSteps)
      #expect(reparsed.timeSkew == file.timeSkew)
      #expect(reparsed.skewObservations == file.skewObservations)
      #expect(reparsed.lastLogins.sorted { $0.slot < $1.slot } == file.lastLogins.sorted { $0.slot < $1.slot })
      #expect(reparsed.failures == file.failures)
      #expect(reparsed.backoffUntil == file.backoffUntil)
      #expect(reparsed.knownHosts == file.knownHosts)
      #expect(reparsed.delivery == file.delivery)
      #expect(reparsed.sentCode == file.sentCode)
      #expect(reparsed.deliveryTimes == file.deliveryTimes)
      #expect(reparsed.scratchCodes == file.scratchCodes)
    }
  }

  @Test func aCounterStopsAtTheLargestTheParserReads() throws {
    for counter in [SecretFile.maximumHOTPCounter, SecretFile.maximumHOTPCounter + 1, UInt64.max] {
      var file = try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 1\n")
      file.mode = .hotp(nextCounter: counter)
      let written = text(of: file)
      #expect(written.contains("\" HOTP_COUNTER 9999999999999999999\n"))
      #expect(try parse(written).mode == .hotp(nextCounter: SecretFile.maximumHOTPCounter))
    }
    // 0 is a counter like any other (a factory-fresh hardware token's).
    var zero = try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 1\n")
    zero.mode = .hotp(nextCounter: 0)
    #expect(text(of: zero).contains("\" HOTP_COUNTER 0\n"))
    #expect(try parse(text(of: zero)).mode == .hotp(nextCounter: 0))
  }

  /// A clock before 1970 gives negative times; they are written as 0, which
  /// lies in the past once the clock is right, so no lock-out remains.
  @Test func timesBefore1970AreWrittenAsZero() throws {
    var file = try parse("\(rfcSecretBase32)\n\" RATE_LIMIT 3 30\n\" TOTP_AUTH\n")
    file.rateLimit?.times = [-1, Int64.min]
    file.failures = FailureCount(count: 4, last: -86_400)
    file.deliveryTimes = [-5]
    file.lastLogins = [LastLogin(slot: 0, host: Array("10.0.0.1".utf8), time: -1)]
    file.sentCode = SentCode(
      expires: -1, sent: Int64.min, salt: [UInt8](repeating: 1, count: SentCode.saltLength),
      hash: [UInt8](repeating: 2, count: 32))
    let written = text(of: file)
    #expect(written.contains("\" RATE_LIMIT 3 30 0 0\n"))
    #expect(written.contains("\" FAILURES 4 0\n"))
    #expect(written.contains("\" DELIVERIES 0\n"))
    #expect(written.contains("\" LAST0 10.0.0.1 0\n"))
    #expect(written.contains("\" DELIVERY_CODE 0 0 "))
    let reparsed = try parse(written)
    #expect(reparsed.failures == FailureCount(count: 4, last: 0))
    #expect(reparsed.rateLimit?.times == [0, 0])
  }

  @Test func timesAfterTheLastOneAFileHoldsStopThere() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    file.failures = FailureCount(count: Int.max, last: Int64.max)
    file.usedSteps = [Int64.max]
    file.timeSkew = Int64.min
    file.skewObservations = [SkewObservation(step: Int64.max, skew: Int64.min)]
    file.backoffUntil = Int64.max
    let written = text(of: file)
    #expect(written.contains("\" FAILURES 1000000 999999999999\n"))
    #expect(written.contains("\" BACKOFF_UNTIL 999999999999\n"))
    #expect(written.contains("\" DISALLOW_REUSE 999999999999\n"))
    #expect(written.contains("\" TIME_SKEW -1000000\n"))
    #expect(written.contains("\" RESETTING_TIME_SKEW 999999999999-9999999\n"))
    #expect(throws: Never.self) { try parse(written) }
  }

  @Test func whatCannotBeClampedIsLeftOut() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    file.lastLogins = [
      LastLogin(slot: 0, host: Array("bad host".utf8), time: 1), LastLogin(slot: 1, host: [], time: 1),
      LastLogin(slot: 2, host: Array("ok.example".utf8), time: 2),
      LastLogin(slot: 2, host: Array("again.example".utf8), time: 3),
    ]
    file.sentCode = SentCode(expires: 2, sent: 1, salt: [1, 2, 3], hash: [4])
    file.scratchCodes = [12_345_678, 12_345_678, 1_234, 100_000_000] + (0..<150).map { 20_000_000 + UInt32($0) }
    file.knownHosts = [Array("bad host".utf8), []] + (0..<12).map { Array("h\($0).example".utf8) }
    let reparsed = try parse(text(of: file))
    // The most recent hosts the reader takes, in their order.
    #expect(reparsed.knownHosts == (2..<12).map { Array("h\($0).example".utf8) })
    #expect(reparsed.lastLogins == [LastLogin(slot: 2, host: Array("ok.example".utf8), time: 2)])
    #expect(reparsed.sentCode == nil)
    #expect(reparsed.scratchCodes.first == 12_345_678)
    #expect(reparsed.scratchCodes.count == SecretFile.maximumScratchCodes)
  }

  // MARK: - Random files

  static func randomFile(_ random: inout SeededRandom, extremes: Bool) -> SecretFile {
    let secret = SensitiveBytes((0..<random.int(in: 10...64)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    let mode: SecretFile.Mode
    switch random.int(in: 0...2) {
    case 0: mode = .totp
    case 1: mode = .scratchCodesOnly
    default: mode = .hotp(nextCounter: random.counter(extremes: extremes))
    }
    var file = SecretFile(
      secret: secret, mode: mode,
      algorithm: random.present() ? HashAlgorithm.allCases[random.int(in: 0...2)] : nil,
      digits: random.present() ? random.setting(OneTimePassword.digitRange, extremes: extremes) : nil,
      stepSize: random.present() ? random.setting(OneTimePassword.periodRange, extremes: extremes) : nil,
      windowSize: random.present() ? random.setting(SecretFile.windowSizeRange, extremes: extremes) : nil,
      rateLimit: random.present()
        ? RateLimit(
          attempts: random.setting(RateLimit.attemptsRange, extremes: extremes),
          interval: random.setting(RateLimit.intervalRange, extremes: extremes),
          times: random.times(extremes: extremes)) : nil,
      usedSteps: random.present() ? random.times(extremes: extremes) : nil,
      scratchCodes: random.scratchCodes(extremes: extremes))
    file.timeSkew = random.present() ? random.int64(in: SecretFile.timeSkewRange, extremes: extremes) : nil
    if random.present() {
      file.skewObservations = (0..<random.int(in: 0...3)).map { _ in
        SkewObservation(
          step: random.time(extremes: extremes), skew: random.int64(in: -9_999_999...9_999_999, extremes: extremes))
      }
    }
    var slots = Array(LastLogin.slots)
    if extremes { slots += [-1, 10, Int.min, Int.max, 0] }
    file.lastLogins = (0..<random.int(in: 0...3)).compactMap { _ in
      let slot = slots[random.int(in: 0...(slots.count - 1))]
      // Without extremes, one login per slot, as the policy keeps them.
      return LastLogin(slot: slot, host: Array("host\(slot).example".utf8), time: random.time(extremes: extremes))
    }
    if !extremes {
      var seen: [Int] = []
      file.lastLogins = file.lastLogins.filter { login in
        defer { seen.append(login.slot) }
        return !seen.contains(login.slot)
      }
    }
    if random.present() {
      file.failures = FailureCount(
        count: random.setting(FailureCount.countRange, extremes: extremes), last: random.time(extremes: extremes))
    }
    if random.present() { file.backoffUntil = random.time(extremes: extremes) }
    if random.present() {
      let address = ["email:a@example.com", "sms:+447700900789", "push:ops-alice"][random.int(in: 0...2)]
      file.delivery = DeliveryAddress(parsing: Array(address.utf8))
    }
    if random.present() {
      file.knownHosts = (0..<random.int(in: 0...(extremes ? 14 : SecretFile.maximumKnownHosts))).map {
        Array("192.0.2.\($0)".utf8)
      }
    }
    if random.present() {
      file.sentCode = SentCode(
        expires: random.time(extremes: extremes), sent: random.time(extremes: extremes),
        salt: (0..<SentCode.saltLength).map { _ in UInt8(truncatingIfNeeded: random.next()) },
        hash: (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    }
    file.deliveryTimes = random.present() ? random.times(extremes: extremes) : nil
    return file
  }
}

/// A seeded generator (Marsaglia's xorshift with Vigna's multiplier,
/// "xorshift64*"), so that a failing round can be replayed.
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed | 1 }

  mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }

  mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

  /// Whether an optional value is there: three times in four.
  mutating func present() -> Bool { int(in: 0...3) != 0 }

  /// A value in `range`, or with `extremes` often one far outside it.
  mutating func setting(_ range: ClosedRange<Int>, extremes: Bool) -> Int {
    guard extremes, int(in: 0...1) == 0 else { return int(in: range) }
    let edges = [
      Int.min, -1, 0, range.lowerBound - 1, range.lowerBound, range.upperBound, range.upperBound + 1, Int.max,
    ]
    return edges[int(in: 0...(edges.count - 1))]
  }

  mutating func int64(in range: ClosedRange<Int64>, extremes: Bool) -> Int64 {
    guard extremes, int(in: 0...1) == 0 else { return Int64.random(in: range, using: &self) }
    let edges: [Int64] = [Int64.min, Int64.min + 1, -1, 0, 1, range.lowerBound, range.upperBound, Int64.max]
    return edges[int(in: 0...(edges.count - 1))]
  }

  mutating func time(extremes: Bool) -> Int64 { int64(in: SecretFile.timeRange, extremes: extremes) }

  mutating func times(extremes: Bool) -> [Int64] {
    (0..<int(in: 0...4)).map { _ in time(extremes: extremes) }
  }

  mutating func counter(extremes: Bool) -> UInt64 {
    guard extremes, int(in: 0...1) == 0 else { return UInt64.random(in: 1...SecretFile.maximumHOTPCounter, using: &self) }
    let edges: [UInt64] = [0, 1, SecretFile.maximumHOTPCounter, SecretFile.maximumHOTPCounter + 1, UInt64.max - 1, UInt64.max]
    return edges[int(in: 0...(edges.count - 1))]
  }

  mutating func scratchCodes(extremes: Bool) -> [UInt32] {
    var codes: [UInt32] = []
    for _ in 0..<int(in: 0...(extremes ? 120 : 10)) {
      let code: UInt32
      if extremes && int(in: 0...3) == 0 {
        let edges: [UInt32] = [0, 9_999_999, 100_000_000, UInt32.max, codes.last ?? 12_345_678]
        code = edges[int(in: 0...(edges.count - 1))]
      } else {
        code = UInt32.random(in: SecretFile.scratchCodeRange, using: &self)
      }
      if extremes || !codes.contains(code) { codes.append(code) }
    }
    return codes
  }
}
