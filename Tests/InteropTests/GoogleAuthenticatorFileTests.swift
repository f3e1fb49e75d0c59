import Foundation
import OTPCore
import Testing

/// Files written by the real google-authenticator CLI (Debian's
/// libpam-google-authenticator, 20191231) are read by `SecretFile(parsing:)`
/// with the settings the flags asked for, and written back byte for byte, so
/// a GA enrolment keeps working, and stays readable by GA, when an
/// administrator swaps the module.
struct GoogleAuthenticatorFileTests {
  /// One non-interactive invocation: every question GA would ask is answered
  /// by a flag (-t/-c, -d/-D for TOTP, -r/-R or -u, -w or -W).
  struct Flags: Sendable, CustomTestStringConvertible {
    var totp: Bool
    var disallowReuse: Bool
    /// `-r N -R SECONDS`; nil is `-u`.
    var rateLimit: (attempts: Int, seconds: Int)?
    /// `-w N`; nil is `-W` (minimal window).
    var window: Int?
    /// `-S SECONDS`; nil leaves GA's 30 s unwritten.
    var step: Int?
    /// `-e N`, 0 to 10.
    var scratchCodes: Int

    var arguments: [String] {
      var arguments = [totp ? "-t" : "-c"]
      if totp { arguments.append(disallowReuse ? "-d" : "-D") }
      if let rateLimit {
        arguments += ["-r", "\(rateLimit.attempts)", "-R", "\(rateLimit.seconds)"]
      } else {
        arguments.append("-u")
      }
      if let window { arguments += ["-w", "\(window)"] } else { arguments.append("-W") }
      if let step { arguments += ["-S", "\(step)"] }
      arguments += ["-e", "\(scratchCodes)"]
      return arguments
    }

    var testDescription: String { arguments.joined(separator: " ") }

    // What GA writes for these flags (observed with GA 20191231 and read in
    // its google-authenticator.c): -W is a window of 3 for TOTP and 1 for
    // HOTP; -S is written for TOTP (even 30) and ignored for HOTP.
    var expectedMode: SecretFile.Mode { totp ? .totp : .hotp(nextCounter: 1) }
    var expectedWindow: Int { window ?? (totp ? 3 : 1) }
    var expectedStep: Int? { totp ? step : nil }
    var expectedUsedSteps: [Int64]? { totp && disallowReuse ? [] : nil }
    var expectedRateLimit: RateLimit? { rateLimit.map { RateLimit(attempts: $0.attempts, interval: $0.seconds) } }
  }

  /// Every combination of the switches, with values that walk GA's ranges
  /// (-r 1..10, -R 15..600, -w 1..21, -S 1..60, -e 0..10), plus both ends.
  static let combinations: [Flags] = {
    var all: [Flags] = []
    var index = 0
    for totp in [true, false] {
      for disallowReuse in totp ? [true, false] : [false] {
        for limited in [true, false] {
          for minimalWindow in [true, false] {
            for withStep in [true, false] {
              all.append(
                Flags(
                  totp: totp, disallowReuse: disallowReuse,
                  rateLimit: limited ? (1 + index % 10, 15 + (index * 37) % 586) : nil,
                  window: minimalWindow ? nil : 1 + (index * 5) % 21,
                  step: withStep ? 1 + (index * 7) % 60 : nil, scratchCodes: index % 11))
              index += 1
            }
          }
        }
      }
    }
    all.append(Flags(totp: true, disallowReuse: true, rateLimit: (10, 600), window: 21, step: 60, scratchCodes: 10))
    all.append(Flags(totp: true, disallowReuse: false, rateLimit: (1, 15), window: 1, step: 1, scratchCodes: 0))
    all.append(Flags(totp: true, disallowReuse: true, rateLimit: (3, 30), window: 3, step: 30, scratchCodes: 5))
    all.append(Flags(totp: false, disallowReuse: false, rateLimit: (10, 600), window: 21, step: nil, scratchCodes: 10))
    return all
  }()

  @Test(arguments: combinations)
  func readsAndRewritesWhatGAWrites(flags: Flags) throws {
    let ga = try ExternalTool("/usr/bin/google-authenticator", package: "libpam-google-authenticator")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pam_otp-ga-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("google_authenticator").path

    let result = try ga.run(flags.arguments + ["-C", "-f", "-q", "-Q", "NONE", "-s", path])
    try #require(result.status == 0, "google-authenticator \(flags.testDescription): \(result.error)")
    let original = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) })

    let file = try original.withUnsafeBytes { try SecretFile(parsing: $0) }
    let rewritten = file.serialized().copyBytes()
    // GA writes ASCII, so equal text is equal bytes; text makes a readable diff.
    try #require(original.allSatisfy { $0 < 0x80 })
    #expect(String(decoding: rewritten, as: UTF8.self) == String(decoding: original, as: UTF8.self))

    #expect(file.mode == flags.expectedMode)
    #expect(file.windowSize == flags.expectedWindow)
    #expect(file.stepSize == flags.expectedStep)
    #expect(file.usedSteps == flags.expectedUsedSteps)
    #expect(file.rateLimit == flags.expectedRateLimit)
    #expect(file.algorithm == nil && file.digits == nil)
    #expect(file.timeSkew == nil)

    // Line 1 is the secret (GA: 128 bits), the last -e lines the scratch codes.
    let lines = String(decoding: original, as: UTF8.self).split(separator: "\n").map(String.init)
    #expect(file.secret.count == 16)
    #expect(Base32.encodeString(file.secret.copyBytes()) == lines[0])
    #expect(file.scratchCodes.count == flags.scratchCodes)
    #expect(file.scratchCodes.map { String($0) } == Array(lines.suffix(flags.scratchCodes)))
  }
}
