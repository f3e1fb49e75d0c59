import Testing

@testable import OTPCore

/// The TOTP policy with time injected: the window, reuse, skew.
struct VerifierTOTPTests {
  let now: Int64 = 1_700_000_015  // step 56666667, 15 s into it
  var step: Int64 { now / 30 }

  func totpFile(_ extra: String = "\" DISALLOW_REUSE\n") throws -> SecretFile {
    try parse("\(rfcSecretBase32)\n\(extra)\" TOTP_AUTH\n")
  }

  @Test func acceptsThePreviousCurrentAndNextCodeOfAWindowOfThree() throws {
    for offset: Int64 in [-1, 0, 1] {
      var file = try totpFile()
      let verdict = Verifier(token: file).verify(answer: code(file, step: step + offset), at: now, remoteHost: nil, state: &file)
      #expect(verdict == .accepted(.totp(step: step + offset)))
    }
    for offset: Int64 in [-2, 2] {
      var file = try totpFile("")
      let verdict = Verifier(token: file, settings: VerificationSettings(adjustSkew: false))
        .verify(answer: code(file, step: step + offset), at: now, remoteHost: nil, state: &file)
      #expect(verdict == .refused(.wrongCode))
    }
  }

  @Test(arguments: [1, 2, 4, 17])
  func windowSizesFollowGA(size: Int) throws {
    // GA: offsets -((W-1)/2) ... W/2 around the current step.
    let file = try totpFile("\" WINDOW_SIZE \(size)\n")
    let window = Verifier(token: file).timeWindow(at: now)
    #expect(window == (step - Int64((size - 1) / 2))...(step + Int64(size / 2)))
  }

  @Test func aCodeIsAcceptedOnceWhenReuseIsDisallowed() throws {
    var file = try totpFile()
    let answer = code(file, step: step)
    let verifier = Verifier(token: file)
    #expect(verifier.verify(answer: answer, at: now, remoteHost: nil, state: &file) == .accepted(.totp(step: step)))
    #expect(file.usedSteps == [step])
    #expect(Verifier(token: file).verify(answer: answer, at: now + 5, remoteHost: nil, state: &file) == .refused(.replayedCode))
  }

  @Test func reuseIsAllowedWithoutDisallowReuse() throws {
    var file = try totpFile("")
    let answer = code(file, step: step)
    #expect(Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file).isAccepted)
    #expect(Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file).isAccepted)
    #expect(file.usedSteps == nil)
  }

  @Test func usedStepsOlderThanTheWindowAreForgotten() throws {
    var file = try totpFile("\" DISALLOW_REUSE 100 \(step - 1)\n")
    _ = Verifier(token: file).verify(answer: code(file, step: step), at: now, remoteHost: nil, state: &file)
    #expect(file.usedSteps == [step - 1, step])
  }

  /// Found by 64 concurrent logins at a step boundary: a login judged with
  /// an earlier time than the one before it must not forget a step ahead of
  /// its window, or that step's code is accepted again.
  @Test func aStepAheadOfTheWindowIsNeverForgotten() throws {
    var file = try totpFile()
    let later = now + 30
    #expect(Verifier(token: file).verify(answer: code(file, step: step + 2), at: later, remoteHost: nil, state: &file).isAccepted)
    #expect(Verifier(token: file).verify(answer: code(file, step: step - 1), at: now, remoteHost: nil, state: &file).isAccepted)
    #expect(file.usedSteps == [step + 2, step - 1])
    #expect(Verifier(token: file).verify(answer: code(file, step: step + 2), at: later, remoteHost: nil, state: &file) == .refused(.replayedCode))
  }

  @Test func storedSkewMovesTheWindow() throws {
    var file = try totpFile("\" TIME_SKEW 10\n")
    #expect(Verifier(token: file).verify(answer: code(file, step: step + 10), at: now, remoteHost: nil, state: &file)
      == .accepted(.totp(step: step + 10)))
  }

  @Test func threeConsistentCodesFarOutsideTheWindowAdjustTheSkewAsGADoes() throws {
    var file = try totpFile()
    // The user's phone is 10 steps (5 minutes) fast: three codes in a row.
    for attempt: Int64 in 0..<2 {
      let t = now + attempt * 30
      let verdict = Verifier(token: file).verify(answer: code(file, step: step + attempt + 10), at: t, remoteHost: nil, state: &file)
      #expect(verdict == .refused(.wrongCode))
    }
    #expect(file.skewObservations == [SkewObservation(step: step, skew: 10), SkewObservation(step: step + 1, skew: 10)])
    let third = Verifier(token: file).verify(answer: code(file, step: step + 12), at: now + 60, remoteHost: nil, state: &file)
    #expect(third == .accepted(.skewAdjusted(step: step + 12, skew: 10)))
    #expect(file.timeSkew == 10)
    #expect(file.skewObservations == [])
    #expect(file.usedSteps == [step + 12])
    // The window now follows the phone.
    #expect(Verifier(token: file).verify(answer: code(file, step: step + 13), at: now + 90, remoteHost: nil, state: &file).isAccepted)
  }

  @Test func theSameOffWindowCodeTwiceIsNotRecordedTwice() throws {
    var file = try totpFile()
    let answer = code(file, step: step + 10)
    _ = Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file)
    _ = Verifier(token: file).verify(answer: answer, at: now + 1, remoteHost: nil, state: &file)
    #expect(file.skewObservations?.count == 1)
  }

  @Test func noskewadjNeverRecordsOrAdjusts() throws {
    var file = try totpFile()
    let settings = VerificationSettings(adjustSkew: false)
    for attempt: Int64 in 0..<3 {
      let verdict = Verifier(token: file, settings: settings)
        .verify(answer: code(file, step: step + attempt + 10), at: now + attempt * 30, remoteHost: nil, state: &file)
      #expect(verdict == .refused(.wrongCode))
    }
    #expect(file.skewObservations == nil)
    #expect(file.timeSkew == nil)
  }

  @Test(arguments: [HashAlgorithm.sha1, .sha256, .sha512], [6, 7, 8])
  func everyAlgorithmAndLength(algorithm: HashAlgorithm, digits: Int) throws {
    var file = try totpFile("\" DIGITS \(digits)\n\" ALGORITHM \(algorithm.name)\n")
    let answer = code(file, step: step)
    #expect(answer.count == digits)
    #expect(Verifier(token: file).verify(answer: answer, at: now, remoteHost: nil, state: &file).isAccepted)
  }

  @Test func stepSizeFromTheFile() throws {
    var file = try totpFile("\" STEP_SIZE 60\n")
    let verdict = Verifier(token: file).verify(answer: code(file, step: now / 60), at: now, remoteHost: nil, state: &file)
    #expect(verdict == .accepted(.totp(step: now / 60)))
  }
}
