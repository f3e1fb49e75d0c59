import Foundation
import Testing

/// Runs an independent implementation (oathtool, google-authenticator) as a
/// separate process: the point of these tests is that it shares no code
/// with OTPCore.
struct ExternalTool {
  let path: String

  struct Result {
    let status: Int32
    let output: String
    let error: String
  }

  /// Which Debian package provides the tool, for the failure message.
  init(_ path: String, package: String) throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: path),
      "\(path) is missing: apt-get install \(package) (scripts/lib/deps.sh lists it)")
    self.path = path
  }

  func run(_ arguments: [String]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read before waiting, so a full pipe cannot stall the tool.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
      error: String(decoding: errorData, as: UTF8.self))
  }

  /// Runs and returns the lines of standard output; records a failure with
  /// the tool's message if it exits non-zero.
  func lines(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
    let result = try run(arguments)
    try #require(
      result.status == 0, "\(path) \(arguments.joined(separator: " ")) failed: \(result.error)",
      sourceLocation: sourceLocation)
    return result.output.split(separator: "\n").map(String.init)
  }
}

/// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a seeded generator, so that a failing random
/// case can be replayed with OTP_INTEROP_SEED.
struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The seed for this run: OTP_INTEROP_SEED if set, else a fresh one.
  /// Tests print it in every failure message.
  static let runSeed: UInt64 = {
    if let text = ProcessInfo.processInfo.environment["OTP_INTEROP_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 0...UInt64.max)
  }()

  /// A generator of its own for each test case, derived from the run's seed.
  static func forCase(_ name: String) -> SeededGenerator {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a, to spread the case name
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return SeededGenerator(seed: runSeed ^ hash)
  }
}
