import Testing

@testable import OTPCore

/// The policy of a whole login, without libpam, files or a clock: what is
/// asked, told and concluded, for every kind of user and every write result.
struct LoginPolicyTests {
  let now: Int64 = 1_700_000_000

  func options(_ arguments: String...) throws -> ModuleOptions {
    try ModuleOptions.parse(arguments.map { Array($0.utf8) })
  }

  func totp(_ extra: String = "") throws -> SecretFile {
    try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n\" RATE_LIMIT 3 30\n" + extra)
  }

  func conversation(_ opening: LoginPolicy.Opening) -> LoginPolicy.Conversation? {
    if case .converse(let conversation) = opening { return conversation }
    return nil
  }

  /// What is shown: the prompt, its echo, what an empty answer does, and
  /// whether the earlier password is tried. Nothing else reaches the user.
  func shown(_ conversation: LoginPolicy.Conversation?) -> [String]? {
    conversation.map {
      [String(decoding: $0.prompt, as: UTF8.self), "\($0.echo)", "\($0.offersDelivery)", "\($0.firstPass)"]
    }
  }

  @Test(arguments: [[], ["deliver=/bin/true"], ["try_first_pass"], ["use_first_pass"], ["forward_pass"]])
  func everyKindOfUserIsAskedTheSame(extra: [String]) throws {
    let policy = LoginPolicy(options: try ModuleOptions.parse(extra.map { Array($0.utf8) }))
    let app = try totp()
    let appAndMail = try totp("\" DELIVER email:bob@example.com\n")
    let mailOnly = try parse("\(rfcSecretBase32)\n\" DELIVER sms:+447700900789\n12345678\n")
    let standings: [LoginPolicy.Standing] = [
      .enrolled(app), .enrolled(appAndMail), .enrolled(mailOnly), .notEnrolled, .unknownUser, .invalidUserName,
      .unusable,
    ]
    let seen = standings.map { shown(conversation(policy.opening($0, at: now, remoteHost: nil))) }
    #expect(seen.allSatisfy { $0 != nil && $0 == seen[0] }, "\(seen)")
  }

  @Test func aUserWithoutAnAppIsSentACodeSilently() throws {
    let policy = LoginPolicy(options: try options("deliver=/bin/true"))
    let mailOnly = try parse("\(rfcSecretBase32)\n\" DELIVER sms:+447700900789\n12345678\n")
    #expect(conversation(policy.opening(.enrolled(mailOnly), at: now, remoteHost: nil))?.sendsAtStart == true)
    #expect(conversation(policy.opening(.enrolled(try totp()), at: now, remoteHost: nil))?.sendsAtStart == false)
    let withoutDeliver = LoginPolicy(options: ModuleOptions())
    #expect(conversation(withoutDeliver.opening(.enrolled(mailOnly), at: now, remoteHost: nil))?.sendsAtStart == false)
  }

  @Test func anEmptyAnswerAsksForACodeOnlyWhereTheLineSendsCodes() throws {
    let empty = SensitiveBytes([])
    let sending = LoginPolicy(options: try options("deliver=/bin/true"))
    let plain = LoginPolicy(options: ModuleOptions())
    let forward = LoginPolicy(options: try options("deliver=/bin/true", "forward_pass"))
    for (policy, asks) in [(sending, true), (plain, false), (forward, false)] {
      let talk = try #require(conversation(policy.opening(.enrolled(try totp()), at: now, remoteHost: nil)))
      if case .code = policy.request(for: empty, in: talk) { #expect(asks) } else { #expect(!asks) }
    }
  }

  @Test func backOffAndRateLimitRefuseBeforeThePromptSayingWhy() throws {
    let policy = LoginPolicy(options: ModuleOptions())
    let backingOff = try totp("\" FAILURES 3 \(now - 10)\n")
    guard case .refuse(let notice, let conclusion) = policy.opening(.enrolled(backingOff), at: now, remoteHost: nil)
    else { Issue.record("not refused"); return }
    #expect(notice == .backingOff(seconds: 20) && conclusion == .refused(.backingOff))
    #expect(notice.text == "Too many wrong codes; try again in 20 seconds.")
    let limited = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" RATE_LIMIT 3 30 \(now - 3) \(now - 2) \(now - 1)\n")
    guard case .refuse(.rateLimited, .refused(.rateLimited)) = policy.opening(.enrolled(limited), at: now, remoteHost: nil)
    else { Issue.record("not rate limited"); return }
  }

  /// A clock stepped back must not keep a back-off on until the clock
  /// catches up (or until `otpctl unlock`): a failure "in the future" calls
  /// for no wait, and the next wrong code starts a longer back-off.
  @Test func aFailureTimeInTheFutureDoesNotKeepTheBackOffOn() throws {
    let policy = LoginPolicy(options: ModuleOptions())
    var file = try totp("\" FAILURES 3 \(now + 86_400)\n")
    guard case .converse = policy.opening(.enrolled(file), at: now, remoteHost: nil) else {
      Issue.record("backing off until the clock catches up"); return
    }
    let judgement = judged(wrong(file), policy, &file)
    #expect(file.failures == FailureCount(count: 4, last: now))
    #expect(policy.conclude(judgement, write: .saved, fromEarlierPassword: false)
      == .finish(.refused(.wrongCode), notices: [.backingOff(seconds: 60)]))
  }

  @Test func usersWithoutAUsableFileAreAskedThenRefused() throws {
    let policy = LoginPolicy(options: ModuleOptions())
    let ends: [(LoginPolicy.Standing, Conclusion)] = [
      (.notEnrolled, .notEnrolled(ignored: false)), (.unknownUser, .unknownUser),
      (.invalidUserName, .invalidUserName), (.unusable, .unusableSecret),
    ]
    for (standing, end) in ends {
      #expect(conversation(policy.opening(standing, at: now, remoteHost: nil))?.fixedEnd == end)
    }
    let nullok = LoginPolicy(options: try options("nullok"))
    guard case .finish(.notEnrolled(ignored: true)) = nullok.opening(.notEnrolled, at: now, remoteHost: nil) else {
      Issue.record("nullok does not stand aside"); return
    }
  }

  @Test func aClockBefore1970IsAskedThenRefusedAndChangesNothing() throws {
    let policy = LoginPolicy(options: ModuleOptions())
    var file = try totp()
    #expect(conversation(policy.opening(.enrolled(file), at: -5, remoteHost: nil))?.fixedEnd == .clockBeforeEpoch)
    let readings = AnswerReadings(code: SensitiveBytes(code(file, step: 0)))
    #expect(policy.judge(readings, file: &file, at: -5, remoteHost: nil) == .clockBeforeEpoch)
    #expect(!file.hasChanges)
    #expect(policy.conclude(.clockBeforeEpoch, write: .unchanged, fromEarlierPassword: false)
      == .finish(.clockBeforeEpoch, notices: []))
  }

  func judged(_ answer: [UInt8], _ policy: LoginPolicy, _ file: inout SecretFile) -> LoginPolicy.Judgement {
    policy.judge(AnswerReadings(code: SensitiveBytes(answer)), file: &file, at: now, remoteHost: nil)
  }

  func wrong(_ file: SecretFile) -> [UInt8] {
    let right = code(file, step: now / 30)
    return right == Array("000000".utf8) ? Array("111111".utf8) : Array("000000".utf8)
  }

  /// A write that failed for any reason but a full or read-only disk ends
  /// alike for right and wrong codes, so a broken disk is no code oracle.
  @Test func aFailedWriteEndsTheSameForARightAndAWrongCode() throws {
    let policy = LoginPolicy(options: try options("allow_readonly"))
    var file = try totp()
    let right = judged(code(file, step: now / 30), policy, &file)
    var again = try totp()
    let wrongCode = judged(wrong(again), policy, &again)
    for judgement in [right, wrongCode] {
      #expect(policy.conclude(judgement, write: .failed, fromEarlierPassword: false) == .finish(.stateNotSaved, notices: []))
    }
  }

  @Test func allowReadonlyCoversATOTPCodeOnAReadOnlyDiskAndNothingElse() throws {
    let readonly = LoginPolicy(options: try options("allow_readonly"))
    let strict = LoginPolicy(options: ModuleOptions())
    var file = try totp()
    let right = judged(code(file, step: now / 30), readonly, &file)
    #expect(readonly.conclude(right, write: .refusedByFileSystem, fromEarlierPassword: false)
      == .finish(.accepted(.totp(step: now / 30), stateSaved: false, earlierFailures: 0), notices: []))
    #expect(strict.conclude(right, write: .refusedByFileSystem, fromEarlierPassword: false)
      == .finish(.stateNotSaved, notices: []))

    var hotp = try parse("\(rfcSecretBase32)\n\" HOTP_COUNTER 1\n")
    let counter = judged(hotp.generator.code(counter: 1).bytes, readonly, &hotp)
    #expect(readonly.conclude(counter, write: .refusedByFileSystem, fromEarlierPassword: false)
      == .finish(.stateNotSaved, notices: []), "an HOTP code that is not crossed off works forever")

    var scratch = try totp("12345678\n")
    let scratched = judged(Array("12345678".utf8), readonly, &scratch)
    #expect(readonly.conclude(scratched, write: .refusedByFileSystem, fromEarlierPassword: false)
      == .finish(.stateNotSaved, notices: []))
  }

  @Test func tryFirstPassPromptsAfterAPasswordWithoutACodeAndUseFirstPassDoesNot() throws {
    let trying = LoginPolicy(options: try options("try_first_pass"))
    let using = LoginPolicy(options: try options("use_first_pass"))
    for policy in [trying, using] {
      var file = try totp()
      let password = SensitiveBytes(Array("hunter2".utf8))
      let judgement = policy.judge(AnswerReadings(combined: password), file: &file, at: now, remoteHost: nil)
      let next = policy.conclude(judgement, write: .unchanged, fromEarlierPassword: true)
      #expect(next == (policy.firstPass == .tryFirst ? .prompt : .finish(.refused(.malformedAnswer), notices: [])))
      // A user without a file goes the same way.
      #expect(policy.concludeWithoutJudging(.notEnrolled(ignored: false), fromEarlierPassword: true) == next
        || policy.firstPass == .useOnly)
    }
    #expect(using.concludeWithoutJudging(.notEnrolled(ignored: false), fromEarlierPassword: true)
      == .finish(.notEnrolled(ignored: false), notices: []))
  }

  @Test func refusalsSayWhyWhereTheUserCanActOnIt() throws {
    let policy = LoginPolicy(options: ModuleOptions())
    var file = try totp("\" FAILURES 2 \(now - 5)\n")
    let step = now / 30
    // The third wrong code in a row starts the back-off, and says so.
    let third = judged(wrong(file), policy, &file)
    #expect(policy.conclude(third, write: .saved, fromEarlierPassword: false)
      == .finish(.refused(.wrongCode), notices: [.backingOff(seconds: 30)]))
    var fresh = try totp()
    _ = judged(code(fresh, step: step), policy, &fresh)
    let replay = judged(code(fresh, step: step), policy, &fresh)
    #expect(policy.conclude(replay, write: .saved, fromEarlierPassword: false)
      == .finish(.refused(.replayedCode), notices: [.replayedCode]))
    var plain = try totp()
    let wrongOnce = judged(wrong(plain), policy, &plain)
    #expect(policy.conclude(wrongOnce, write: .saved, fromEarlierPassword: false)
      == .finish(.refused(.wrongCode), notices: []))
  }

  @Test func aSuccessAfterWrongCodesWarnsTheUserButTheDecoySaysNothing() throws {
    for decoy in [false, true] {
      let policy = LoginPolicy(options: decoy ? try options("decoy") : ModuleOptions())
      var file = try totp("\" FAILURES 2 \(now - 5)\n")
      let judgement = judged(code(file, step: now / 30), policy, &file)
      guard case .finish(.accepted(_, _, 2, _), let notices, _) = policy.conclude(judgement, write: .saved, fromEarlierPassword: false)
      else { Issue.record("not accepted"); continue }
      #expect(notices == (decoy ? [] : [.earlierFailures(2)]))
    }
  }

  @Test func everyNoticeIsASCII() {
    let notices: [Notice] = [
      .backingOff(seconds: 1), .backingOff(seconds: 90), .rateLimited, .codeRequested, .replayedCode, .expiredCode,
      .earlierFailures(1), .earlierFailures(3),
    ]
    for notice in notices { #expect(notice.text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(notice.text)") }
    #expect(Notice.backingOff(seconds: 1).text.hasSuffix("1 second."))
  }

  @Test func sendingRecordsTheCodeOnlyWhenItIsSent() throws {
    let policy = LoginPolicy(options: try options("deliver=/bin/true"))
    var file = try parse("\(rfcSecretBase32)\n\" DELIVER sms:+447700900789\n12345678\n")
    let salt = [UInt8](repeating: 7, count: SentCode.saltLength)
    #expect(policy.send(file: &file, requested: false, at: now, code: Array("123456".utf8), salt: salt) == .send)
    #expect(file.sentCode != nil)
    #expect(policy.send(file: &file, requested: false, at: now + 1, code: Array("654321".utf8), salt: salt) == .useExisting)
    #expect(policy.send(file: &file, requested: true, at: now + 1, code: Array("654321".utf8), salt: salt) == .tooSoon(retryAfter: 29))
    #expect(policy.send(file: &file, requested: true, at: -1, code: Array("654321".utf8), salt: salt) == .tooMany)
  }
}
