import Foundation
import Testing

/// Runs a system tool (useradd, nm) and returns its exit status and output.
enum Shell {
  struct Output {
    let status: Int32
    let standardOutput: String
    let standardError: String
  }

  static func run(_ executable: String, _ arguments: [String]) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read before waiting, so a large output cannot fill the pipe and stall.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
      standardError: String(decoding: errorData, as: UTF8.self))
  }

  /// Runs and requires exit status 0.
  @discardableResult
  static func check(_ executable: String, _ arguments: [String]) throws -> Output {
    let result = try run(executable, arguments)
    try #require(
      result.status == 0, "\(executable) \(arguments.joined(separator: " ")) failed: \(result.standardError)")
    return result
  }
}
