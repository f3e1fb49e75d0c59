import Testing

@testable import OTPCore

/// Which alerts a login raises (`notify=`), decided by the policy from the
/// file, the answer and the time, without libpam, files or a clock.
struct AlertPolicyTests {
  let now: Int64 = 1_700_000_000
  let host = Array("198.51.100.7".utf8)

  func policy(_ arguments: String...) throws -> LoginPolicy {
    LoginPolicy(options: try ModuleOptions.parse((["notify=/usr/local/lib/pam_otp/notify"] + arguments).map { Array($0.utf8) }))
  }

  func totp(_ extra: String = "") throws -> SecretFile {
    try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" DISALLOW_REUSE\n" + extra)
  }

  func right(_ file: SecretFile, at time: Int64? = nil) -> [UInt8] { code(file, step: (time ?? now) / 30) }

  func wrong(_ file: SecretFile) -> [UInt8] {
    let codes = (-1...1).map { code(file, step: now / 30 + Int64($0)) }
    return codes.contains(Array("000000".utf8)) ? Array("111111".utf8) : Array("000000".utf8)
  }

  /// One answer judged, its state saved: what the login ends in.
  func answer(
    _ answer: [UInt8], _ policy: LoginPolicy, _ file: inout SecretFile, at time: Int64? = nil, from host: [UInt8]? = nil,
    write: LoginPolicy.WriteResult = .saved
  ) -> LoginPolicy.Next {
    let judgement = policy.judge(AnswerReadings(code: SensitiveBytes(answer)), file: &file, at: time ?? now, remoteHost: host)
    return policy.conclude(judgement, write: write, fromEarlierPassword: false)
  }

  func alerts(_ next: LoginPolicy.Next) -> [Alert] {
    if case .finish(_, _, let alerts) = next { return alerts }
    return []
  }

  @Test func theWrongCodeThatStartsOrExtendsABackoffRaisesOne() throws {
    let policy = try policy()
    var file = try totp("\" FAILURES 1 \(now - 60)\n")
    #expect(alerts(answer(wrong(file), policy, &file)) == [], "two wrong codes call for no wait")
    #expect(alerts(answer(wrong(file), policy, &file)) == [.backoff(failures: 3, until: now + 30)])
    // After the wait, the next wrong code starts a longer one.
    #expect(alerts(answer(wrong(file), policy, &file, at: now + 30)) == [.backoff(failures: 4, until: now + 90)])
    // The stack's own options decide the wait, as the file records it.
    let quick = try self.policy("backoff=5", "backoff_after=1")
    var other = try totp()
    #expect(alerts(answer(wrong(other), quick, &other)) == [.backoff(failures: 1, until: now + 5)])
    #expect(other.backoffUntil == now + 5)
  }

  @Test func aReplayedCodeCountsLikeAWrongOne() throws {
    let policy = try policy()
    var file = try totp("\" FAILURES 2 \(now - 60)\n")
    let code = right(file)
    var used = file
    _ = answer(code, policy, &used)
    #expect(alerts(answer(code, policy, &used)) == [], "the success cleared the count")
    file.usedSteps = [now / 30]
    #expect(alerts(answer(code, policy, &file)) == [.backoff(failures: 3, until: now + 30)])
  }

  @Test func aSuccessAfterWrongCodesRaisesFailures() throws {
    let policy = try policy()
    var file = try totp("\" FAILURES 2 \(now - 60)\n")
    #expect(alerts(answer(right(file), policy, &file)) == [.failures(count: 2)])
    var clean = try totp()
    #expect(alerts(answer(right(clean), policy, &clean)) == [])
  }

  @Test func aScratchCodeRaisesScratchWithTheCodesLeft() throws {
    let policy = try policy()
    var file = try totp("\" FAILURES 1 \(now - 60)\n12345678\n87654321\n")
    #expect(alerts(answer(Array("12345678".utf8), policy, &file)) == [.failures(count: 1), .scratch(left: 1)])
    #expect(alerts(answer(Array("87654321".utf8), policy, &file)) == [.scratch(left: 0)])
  }

  @Test func aSuccessFromAHostNotSeenBeforeRaisesNewHost() throws {
    let policy = try policy()
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    // The first host a file records is not news: it may be the user's own.
    #expect(alerts(answer(right(file), policy, &file, from: host)) == [])
    #expect(file.knownHosts == [host])
    #expect(alerts(answer(right(file), policy, &file, at: now + 30, from: host)) == [])
    let other = Array("203.0.113.9".utf8)
    #expect(alerts(answer(right(file, at: now + 60), policy, &file, at: now + 60, from: other)) == [.newHost])
    #expect(file.knownHosts == [host, other])
    #expect(alerts(answer(right(file, at: now + 90), policy, &file, at: now + 90, from: host)) == [])
    #expect(file.knownHosts == [other, host], "the most recent last")
    // No remote host (sudo, a console): nothing to report.
    #expect(alerts(answer(right(file, at: now + 120), policy, &file, at: now + 120)) == [])
    // A wrong code from a new host records nothing.
    let stranger = Array("192.0.2.66".utf8)
    _ = answer(wrong(file), policy, &file, at: now + 150, from: stranger)
    #expect(file.knownHosts == [other, host])
  }

  @Test func aHostTheFileCannotHoldIsNewEveryTime() throws {
    let policy = try policy()
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n\" KNOWN_HOSTS 192.0.2.1\n")
    let odd = Array("fe80::1%eth0".utf8)
    #expect(alerts(answer(right(file), policy, &file, from: odd)) == [.newHost])
    #expect(alerts(answer(right(file, at: now + 30), policy, &file, at: now + 30, from: odd)) == [.newHost])
    #expect(file.knownHosts == [Array("192.0.2.1".utf8)])
  }

  @Test func theHostsKeptAreBoundedAndTheLeastRecentGoesFirst() throws {
    var file = try parse("\(rfcSecretBase32)\n\" TOTP_AUTH\n")
    let hosts = (0..<12).map { Array("192.0.2.\($0)".utf8) }
    #expect(file.recordKnownHost(hosts[0]) == .firstRecorded)
    for host in hosts.dropFirst() { #expect(file.recordKnownHost(host) == .new) }
    #expect(file.knownHosts == Array(hosts.suffix(SecretFile.maximumKnownHosts)))
    #expect(file.recordKnownHost(hosts[0]) == .new, "forgotten, so news again")
    let reread = try parse(text(of: file))
    #expect(reread.knownHosts?.count == SecretFile.maximumKnownHosts)
    // A success from the most recent host changes nothing, so writes nothing.
    var unchanged = reread
    #expect(unchanged.recordKnownHost(hosts[0]) == .known && !unchanged.hasChanges)
  }

  @Test func anUnusableFileRaisesUnusableBeforeThePromptOnBothLines() throws {
    for decoy in [false, true] {
      let policy = decoy ? try policy("decoy") : try policy()
      guard case .converse(let talk) = policy.opening(.unusable, at: now, remoteHost: nil) else {
        Issue.record("not asked"); continue
      }
      #expect(talk.alerts == [.unusable])
      for standing: LoginPolicy.Standing in [.notEnrolled, .unknownUser, .invalidUserName, .enrolled(try totp())] {
        if case .converse(let other) = policy.opening(standing, at: now, remoteHost: nil) { #expect(other.alerts == []) }
      }
    }
  }

  /// The decoy's back-off, success, scratch code and host never happened:
  /// it raises none of them.
  @Test func theDecoyRaisesNothingAboutTheUsersState() throws {
    let decoy = try policy("decoy")
    var file = try totp("\" FAILURES 2 \(now - 60)\n\" KNOWN_HOSTS 192.0.2.1\n12345678\n")
    var wrongFile = file
    #expect(alerts(answer(wrong(wrongFile), decoy, &wrongFile)) == [])
    var scratchFile = file
    #expect(alerts(answer(Array("12345678".utf8), decoy, &scratchFile, from: host)) == [])
    #expect(alerts(answer(right(file), decoy, &file, from: host)) == [])
  }

  @Test func withoutNotifyNothingIsRaisedAndNoHostIsKept() throws {
    let plain = LoginPolicy(options: ModuleOptions())
    var file = try totp("\" FAILURES 2 \(now - 60)\n12345678\n")
    #expect(alerts(answer(Array("12345678".utf8), plain, &file, from: host)) == [])
    #expect(file.knownHosts == nil)
    guard case .converse(let talk) = plain.opening(.unusable, at: now, remoteHost: nil) else { return }
    #expect(talk.alerts == [])
  }

  /// Alerts report what the file now holds: a state that was not saved
  /// raises nothing, except a TOTP success under `allow_readonly`, which
  /// happened all the same.
  @Test func onlyWhatWasSavedIsReported() throws {
    let policy = try policy("allow_readonly")
    var file = try totp("\" FAILURES 2 \(now - 60)\n")
    var failed = file
    #expect(answer(wrong(failed), policy, &failed, write: .failed) == .finish(.stateNotSaved, notices: []))
    var readonly = file
    #expect(alerts(answer(right(readonly), policy, &readonly, write: .refusedByFileSystem)) == [.failures(count: 2)])
    #expect(alerts(answer(right(file), policy, &file, write: .failed)) == [])
  }
}
