import OTPCore
import Testing

@testable import otpctl

/// How the plan puts imported tokens into a user's file: names, the same
/// secret twice, a NAME that clashes, GA's scratch codes, all or none.
struct ImportTokenMergeTests {
  static func token(
    _ byte: UInt8, user: String = "alice", name: String? = nil, origin: ImportedToken.Origin = .oath, counter: UInt64 = 0
  ) -> ImportedToken {
    ImportedToken(
      user: user, name: name, source: "source \(byte)", kind: .hotp(nextCounter: counter),
      secret: SensitiveBytes(Array(repeating: byte, count: 20)), algorithm: .sha1, digits: 6, origin: origin)
  }

  static func enrolled(_ byte: UInt8 = 9) -> SecretFile {
    SecretFile(
      secret: SensitiveBytes(Array(repeating: byte, count: 20)), mode: .totp, rateLimit: RateLimit(attempts: 5, interval: 60),
      scratchCodes: [11_111_111, 22_222_222])
  }

  @Test func oneTokenWithoutANameIsTheDefaultPrimary() throws {
    let (file, names) = try ImportPlan.newFile([Self.token(1)])
    #expect(file.tokens.count == 1 && file.primary.name == OTPToken.defaultName && names == ["default"])
  }

  @Test func severalUsersfileLinesBecomeNumberedTokens() throws {
    let (file, names) = try ImportPlan.newFile([Self.token(1), Self.token(2), Self.token(3)])
    #expect(file.tokens.map(\.name) == ["oath-1", "oath-2", "oath-3"])
    #expect(names == ["oath-1", "oath-2", "oath-3"])
    #expect(file.tokens.allSatisfy { $0.mode == .hotp(nextCounter: 0) })
  }

  @Test func serialsNameTheirTokensAndANameIsStored() throws {
    let (file, _) = try ImportPlan.newFile([
      Self.token(1, origin: .pskc(serial: "987654321")), Self.token(2, name: "spare", origin: .pskc(serial: "111")),
    ])
    #expect(file.tokens.map(\.name) == ["987654321", "spare"])
    let (named, _) = try ImportPlan.newFile([Self.token(1, name: "card", origin: .pskc(serial: "1"))])
    #expect(named.primary.name == "card")
  }

  @Test func theSameSecretTwiceIsWrittenOnce() throws {
    let (file, names) = try ImportPlan.newFile([Self.token(1), Self.token(1)])
    #expect(file.tokens.count == 1 && names == ["default", nil])
  }

  @Test func addingKeepsTheUsersTokensAndState() throws {
    var file = Self.enrolled()
    let names = try ImportPlan.addTokens([Self.token(1), Self.token(2)], to: &file)
    #expect(names == ["oath-1", "oath-2"])
    #expect(file.tokens.map(\.name) == ["default", "oath-1", "oath-2"])
    #expect(file.rateLimit?.attempts == 5 && file.scratchCodes == [11_111_111, 22_222_222])
  }

  @Test func addingWhatIsThereChangesNothing() throws {
    var file = Self.enrolled()
    _ = try ImportPlan.addTokens([Self.token(1)], to: &file)
    let before = file.serialized().copyBytes()
    var again = file
    let names = try ImportPlan.addTokens([Self.token(1, name: "other-name")], to: &again)
    #expect(names == [nil])
    #expect(again.serialized().copyBytes() == before)
  }

  @Test func aNameClashWithAnotherSecretIsRefusedAndNothingIsAdded() {
    var file = Self.enrolled()
    let before = file.serialized().copyBytes()
    #expect(throws: ImportPlan.Refusal.self) {
      try ImportPlan.addTokens([Self.token(1, name: "fine"), Self.token(2, name: "default")], to: &file)
    }
    #expect(file.serialized().copyBytes() == before, "all or none")
  }

  @Test func derivedNamesSkipTakenOnes() throws {
    var file = Self.enrolled()
    file.modifyToken(at: 0) { $0.name = "oath-1" }
    let names = try ImportPlan.addTokens([Self.token(1)], to: &file)
    #expect(names == ["oath-2"])
  }

  @Test func moreThanAFileHoldsIsRefused() throws {
    var file = Self.enrolled()
    _ = try ImportPlan.addTokens((20..<UInt8(20 + OTPToken.maximumCount - 1)).map { Self.token($0) }, to: &file)
    #expect(file.tokens.count == OTPToken.maximumCount)
    #expect(throws: ImportPlan.Refusal.self) { try ImportPlan.addTokens([Self.token(200)], to: &file) }
  }

  @Test func aGAFilesScratchCodesJoinTheUsers() throws {
    var ga = SecretFile(
      secret: SensitiveBytes(Array(repeating: 7, count: 10)), mode: .totp, usedSteps: [42], scratchCodes: [22_222_222, 33_333_333])
    ga.rateLimit = RateLimit(attempts: 1, interval: 30)
    var token = Self.token(7, origin: .ga)
    token.secret = ga.secret
    token.gaFile = ga
    var file = Self.enrolled()
    #expect(try ImportPlan.addTokens([token], to: &file) == ["ga"])
    #expect(file.token(named: "ga")?.usedSteps == [42])
    #expect(file.scratchCodes == [11_111_111, 22_222_222, 33_333_333])
    #expect(file.rateLimit?.attempts == 5, "the user's own rate limit stays")
  }

  @Test func aHomeFileWithSeveralTokensIsNotSplit() throws {
    var ga = SecretFile(secret: SensitiveBytes(Array(repeating: 7, count: 10)), mode: .totp)
    try ga.addToken(OTPToken(name: "tablet", secret: SensitiveBytes(Array(repeating: 8, count: 10)), mode: .totp))
    var token = Self.token(7, origin: .ga)
    token.secret = ga.secret
    token.gaFile = ga
    var file = Self.enrolled()
    #expect(throws: ImportPlan.Refusal.self) { try ImportPlan.addTokens([token], to: &file) }
    #expect(file.tokens.count == 1)
  }
}
