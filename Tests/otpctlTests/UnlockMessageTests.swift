import Testing

@testable import otpctl

/// What `unlock` says it cleared; "nothing" when there was nothing.
struct UnlockMessageTests {
  @Test func nothingToClear() {
    let cleared = Unlock.Cleared(failures: 0, backoff: nil, recentAttempts: 0)
    #expect(cleared.sentence(for: "bob", now: 0) == "Nothing to clear for bob: no wrong codes, no back-off and no recent attempts.")
  }

  @Test func attemptsAlone() {
    let cleared = Unlock.Cleared(failures: 0, backoff: nil, recentAttempts: 1)
    #expect(cleared.sentence(for: "bob", now: 0) == "Unlocked bob: cleared 1 recent attempt of the rate limit.")
  }

  @Test func anEstimatedBackoffIsNamedAsOne() {
    let cleared = Unlock.Cleared(failures: 4, backoff: .estimated(1_700_000_060), recentAttempts: 0)
    let sentence = cleared.sentence(for: "bob", now: 1_700_000_000)
    #expect(sentence.hasPrefix("Unlocked bob: cleared 4 wrong codes in a row and a back-off (until "))
    #expect(sentence.hasSuffix(" with the default backoff= options)."))
  }
}
