import Testing

@testable import OTPCore

/// The fleet store's pure parts: the ldap= file, OATH-LDAP entries as
/// tokens, and what a judgement writes to the directory.
struct FleetConfigurationTests {
  static let valid = """
    # hosts of the fleet
    uri ldap://127.0.0.1:389/ ldap://127.0.0.2:389/
    uri ldaps://ldap3.example/
    base dc=example,dc=org
    tokenbase ou=tokens,dc=example,dc=org
    binddn cn=host,dc=example,dc=org
    bindpw s3cret
    ssl start_tls
    tls_reqcert demand
    tls_cacertfile /etc/ssl/ca.pem
    timelimit 2
    bind_timelimit 1
    login_timelimit 8
    """

  func parse(_ text: String) throws(FleetConfiguration.ParseError) -> FleetConfiguration {
    try FleetConfiguration.parse(Array(text.utf8))
  }

  /// The valid file without one of its lines.
  func without(_ line: String) -> String {
    Self.valid.split(separator: "\n").filter { $0 != line }.joined(separator: "\n")
  }

  @Test func readsTheKeysOfNslcdConf() throws {
    let configuration = try parse(Self.valid)
    #expect(configuration.uris.count == 3)
    #expect(configuration.uris[1] == Array("ldap://127.0.0.2:389/".utf8))
    #expect(configuration.startTLS)
    #expect(configuration.timeLimit == 2000 && configuration.bindTimeLimit == 1000 && configuration.loginTimeLimit == 8000)
    #expect(configuration.tokenSearchBase == Array("ou=tokens,dc=example,dc=org".utf8))
    #expect(configuration.filter(forUser: Array("alice".utf8)) == Array("(uid=alice)".utf8))
  }

  @Test func refusesWhatWouldSendSecretsInClear() {
    let clear = without("ssl start_tls")
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(clear) }
    let noCA = without("tls_cacertfile /etc/ssl/ca.pem")
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(noCA) }
    let weak = without("tls_reqcert demand") + "\ntls_reqcert never\n"
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(weak) }
    // A local socket needs no TLS.
    let local = "uri ldapi:///\nbase dc=example,dc=org\nsasl_mech EXTERNAL\n"
    #expect((try? parse(local)) != nil)
  }

  @Test func refusesUnknownKeysAndBadValues() {
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(Self.valid + "\nfrobnicate yes\n") }
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(Self.valid + "\ntimelimit 0\n") }
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(Self.valid + "\nuri http://x/\n") }
    #expect(throws: FleetConfiguration.ParseError.self) { try parse(Self.valid + "\nuser_filter uid=%s\n") }
  }

  @Test func aUserNameCannotChangeTheFilter() throws {
    let configuration = try parse(Self.valid)
    #expect(
      configuration.filter(forUser: Array("*)(uid=*".utf8)) == Array("(uid=\\2a\\29\\28uid=\\2a)".utf8))
  }

  @Test func generalizedTimeRoundTrips() {
    #expect(GeneralizedTime.format(0) == Array("19700101000000Z".utf8))
    #expect(GeneralizedTime.format(1_700_000_000) == Array("20231114221320Z".utf8))
    for time: Int64 in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
      #expect(GeneralizedTime.parse(GeneralizedTime.format(time)) == time)
    }
    #expect(GeneralizedTime.parse(Array("2023111422132Z".utf8)) == nil)
  }
}

struct FleetPolicyTests {
  static let secret = Array("12345678901234567890".utf8)

  func token(lastStep: Int64? = nil, failures: Int64 = 0, hotp: UInt64? = nil) throws -> FleetToken {
    var attributes: [(name: [UInt8], values: [[UInt8]])] = [
      (Array("objectClass".utf8), [Array("device".utf8), Array((hotp == nil ? "oathTOTPToken" : "oathHOTPToken").utf8)]),
      (Array("oathSecret".utf8), [Self.secret]),
      (Array("oathFailureCount".utf8), [Array(String(failures).utf8)]),
    ]
    if let lastStep { attributes.append((Array("oathTOTPLastTimeStep".utf8), [Array(String(lastStep).utf8)])) }
    if let hotp { attributes.append((Array("oathHOTPCounter".utf8), [Array(String(hotp).utf8)])) }
    return try FleetToken(entry: DirectoryEntry(dn: Array("cn=t,ou=tokens".utf8), attributes: attributes), params: nil)
  }

  let policy = FleetPolicy(policy: LoginPolicy(options: ModuleOptions()))

  func code(at time: Int64) -> SensitiveBytes {
    let generator = OneTimePassword(key: SensitiveBytes(Self.secret), algorithm: .sha1, digits: 6)
    return SensitiveBytes(generator.code(counter: UInt64(time / 30)).bytes)
  }

  @Test func aRightCodeClaimsItsStep() throws {
    let now: Int64 = 1_700_000_000
    let (judgement, writes) = policy.judge(AnswerReadings(code: code(at: now)), tokens: [try token()], at: now)
    guard case .verdict(.accepted(.totp(let step)), _, _, _, _, _, _) = judgement else {
      Issue.record("\(judgement)")
      return
    }
    #expect(writes.claim?.token == 0 && writes.claim?.1 == .step(step))
    #expect(!writes.failure)
  }

  @Test func aStepAtOrBelowTheLastClaimedIsAReplay() throws {
    let now: Int64 = 1_700_000_000
    let (judgement, writes) = policy.judge(
      AnswerReadings(code: code(at: now)), tokens: [try token(lastStep: now / 30)], at: now)
    guard case .verdict(.refused(.replayedCode), _, _, _, _, _, _) = judgement else {
      Issue.record("\(judgement)")
      return
    }
    #expect(writes.claim == nil && writes.failure)
  }

  @Test func wrongCodesCountAndCallForTheBackoff() throws {
    let now: Int64 = 1_700_000_000
    let wrong = SensitiveBytes(Array("000000".utf8))
    let (judgement, writes) = policy.judge(AnswerReadings(code: wrong), tokens: [try token(failures: 2)], at: now)
    guard case .verdict(.refused(.wrongCode), _, let earlier, let until, _, _, _) = judgement else {
      Issue.record("\(judgement)")
      return
    }
    #expect(earlier == 2 && until == now + 30 && writes.failure)
  }

  @Test func aRefusedClaimBecomesAReplay() throws {
    let now: Int64 = 1_700_000_000
    let (judgement, _) = policy.judge(AnswerReadings(code: code(at: now)), tokens: [try token()], at: now)
    let (refused, writes) = policy.refusedClaim(judgement)
    guard case .verdict(.refused(.replayedCode), _, _, _, _, _, _) = refused else {
      Issue.record("\(refused)")
      return
    }
    #expect(writes.failure && writes.claim == nil)
  }

  @Test func hotpClaimsTheNextCounter() throws {
    let generator = OneTimePassword(key: SensitiveBytes(Self.secret), algorithm: .sha1, digits: 6)
    let answer = SensitiveBytes(generator.code(counter: 6).bytes)
    let (judgement, writes) = policy.judge(AnswerReadings(code: answer), tokens: [try token(hotp: 5)], at: 1_000)
    guard case .verdict(.accepted(.hotp(6)), _, _, _, _, _, _) = judgement else {
      Issue.record("\(judgement)")
      return
    }
    #expect(writes.claim?.1 == .counter(next: 7))
  }
}

/// A fleet token's name: `oathTokenIdentifier`, else its RDN's value; the
/// judgement names the matched token only when the user has several.
struct FleetTokenNameTests {
  let base = FleetPolicyTests()

  func named(_ token: FleetToken, dn: String, identifier: String?) throws -> FleetToken {
    var attributes: [(name: [UInt8], values: [[UInt8]])] = [
      (Array("objectClass".utf8), [Array("device".utf8), Array("oathTOTPToken".utf8)]),
      (Array("oathSecret".utf8), [FleetPolicyTests.secret]),
    ]
    if let identifier { attributes.append((Array("oathTokenIdentifier".utf8), [Array(identifier.utf8)])) }
    return try FleetToken(entry: DirectoryEntry(dn: Array(dn.utf8), attributes: attributes), params: nil)
  }

  @Test func theIdentifierElseTheFirstRDNValue() throws {
    let token = try base.token()
    #expect(try named(token, dn: "cn=alice-2,ou=tokens", identifier: "phone").name == Array("phone".utf8))
    #expect(try named(token, dn: "cn=alice-2,ou=tokens", identifier: nil).name == Array("alice-2".utf8))
    #expect(FleetToken.firstRDNValue(Array(#"cn=a\,b+sn=c,ou=x"#.utf8)) == Array("a,b".utf8))
    #expect(FleetToken.firstRDNValue(Array("ou=tokens".utf8)) == Array("tokens".utf8))
  }

  @Test func theMatchedTokenIsNamedOnlyAmongSeveral() throws {
    let now: Int64 = 1_700_000_000
    let phone = try named(base.token(), dn: "cn=a-1,ou=t", identifier: "phone")
    let other = try FleetToken(
      entry: DirectoryEntry(
        dn: Array("cn=a-2,ou=t".utf8),
        attributes: [
          (Array("objectClass".utf8), [Array("oathTOTPToken".utf8)]),
          (Array("oathSecret".utf8), [Array("abcdefghijabcdefghij".utf8)]),
          (Array("oathTokenIdentifier".utf8), [Array("laptop".utf8)]),
        ]), params: nil)
    let (several, _) = base.policy.judge(AnswerReadings(code: base.code(at: now)), tokens: [other, phone], at: now)
    guard case .verdict(.accepted, _, _, _, _, _, let token) = several else {
      Issue.record("\(several)")
      return
    }
    #expect(token == Array("phone".utf8))
    let (single, _) = base.policy.judge(AnswerReadings(code: base.code(at: now)), tokens: [phone], at: now)
    guard case .verdict(.accepted, _, _, _, _, _, let none) = single else {
      Issue.record("\(single)")
      return
    }
    #expect(none == nil)
  }
}

struct FleetModuleOptionTests {
  @Test func ldapAndFleetUnavailable() throws {
    let options = try ModuleOptions.parse([
      Array("ldap=/etc/pam_otp/ldap.conf".utf8), Array("fleet_unavailable=local".utf8),
    ])
    #expect(options.ldapConfiguration == Array("/etc/pam_otp/ldap.conf".utf8))
    #expect(options.fleetUnavailableLocal)
    #expect(!(try ModuleOptions.parse([Array("fleet_unavailable=deny".utf8)])).fleetUnavailableLocal)
    // Anything else fails closed: there is no "open".
    #expect(throws: ModuleOptions.ParseError.self) { try ModuleOptions.parse([Array("fleet_unavailable=open".utf8)]) }
    #expect(throws: ModuleOptions.ParseError.self) { try ModuleOptions.parse([Array("ldap=relative.conf".utf8)]) }
    #expect(throws: ModuleOptions.ParseError.self) { try ModuleOptions.parse([Array("ldap".utf8)]) }
  }
}

extension FleetPolicyTests {
  @Test func aBackoffStartedElsewhereIsToldWithItsEnd() throws {
    let now: Int64 = 1_700_000_000
    var backedOff = try token(failures: 3)
    backedOff.file.failures = FailureCount(count: 3, last: now - 5)
    let (judgement, writes) = policy.judge(AnswerReadings(code: code(at: now)), tokens: [backedOff], at: now)
    guard case .verdict(.refused(.backingOff), _, _, let until, _, _, _) = judgement else {
      Issue.record("\(judgement)")
      return
    }
    #expect(until == now + 25 && !writes.failure && writes.claim == nil)
  }
}
