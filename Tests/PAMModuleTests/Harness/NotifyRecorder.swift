import Foundation
import Testing

/// A `notify=` program of the test's own, where the module accepts one (a
/// root-owned 0755 file in a root-only directory): each run records its
/// arguments, its standard input and the environment it was started with
/// (from /proc, not as a shell would add to it), then sleeps `sleep`
/// seconds and exits with `status`. A record appears whole, once the
/// program has read its input.
final class NotifyRecorder: @unchecked Sendable {
  let directory: TemporaryDirectory
  let program: String

  var option: String { "notify=\(program)" }

  init(sleep: Int = 0, status: Int = 0) throws {
    directory = try TemporaryDirectory(prefix: "pam_otp-notify")
    let records = directory.file("records")
    try #require(mkdir(records, 0o700) == 0, "mkdir \(records): errno \(errno)")
    program = try directory.write(
      "notify",
      """
      #!/bin/sh
      # pam_otp tests: a notify= program that records what it was given.
      set -eu
      record=\(records)/$$
      mkdir "$record.tmp"
      printf '%s\\n' "$@" >"$record.tmp/arguments"
      cat >"$record.tmp/input"
      tr '\\0' '\\n' </proc/$$/environ >"$record.tmp/environment"
      mv "$record.tmp" "$record"
      sleep \(sleep)
      touch "$record.exited"
      exit \(status)

      """, mode: 0o755)
  }

  /// What one run was given.
  struct Record: CustomStringConvertible {
    let pid: pid_t
    let arguments: [String]
    let input: String
    let environment: [String: String]

    /// The input's `key=value` lines.
    var fields: [String: String] {
      var fields: [String: String] = [:]
      for line in input.split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
      }
      return fields
    }

    var event: String? { arguments.count == 2 && arguments[0] == "alert" ? arguments[1] : nil }
    var description: String { "\(arguments) \(input.debugDescription)" }
  }

  /// The records so far, oldest first.
  func records() throws -> [Record] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.file("records"))
    return try names.compactMap { name -> Record? in
      guard let pid = pid_t(name) else { return nil }
      let record = directory.file("records/\(name)")
      let environment = try String(contentsOfFile: "\(record)/environment", encoding: .utf8)
      var variables: [String: String] = [:]
      for line in environment.split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
      }
      return Record(
        pid: pid,
        arguments: try String(contentsOfFile: "\(record)/arguments", encoding: .utf8).split(separator: "\n").map(String.init),
        input: try String(contentsOfFile: "\(record)/input", encoding: .utf8), environment: variables)
    }.sorted { $0.pid < $1.pid }
  }

  /// Waits until `count` runs have recorded what they were given.
  func waitForRecords(_ count: Int, timeout: TimeInterval = 10) throws -> [Record] {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let found = try records()
      if found.count >= count { return found }
      if Date() > deadline { throw HarnessError("\(found.count) of \(count) notify runs recorded in \(timeout) s: \(found)") }
      usleep(10_000)
    }
  }

  /// The one run of `event`, once it has recorded (others are ignored).
  func waitForRecord(of event: String, timeout: TimeInterval = 10) throws -> Record {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let found = try records().filter { $0.event == event }
      if let record = found.first {
        try #require(found.count == 1, "\(event) raised \(found.count) times: \(found)")
        return record
      }
      if Date() > deadline { throw HarnessError("no \(event) alert in \(timeout) s; recorded: \(try records())") }
      usleep(10_000)
    }
  }

  /// Whether the run ended by itself (past its sleep) rather than killed.
  func exitedByItself(_ record: Record) -> Bool { directory.exists("records/\(record.pid).exited") }

  /// Waits until no program of this recorder runs any more.
  func waitUntilNoneRuns(timeout: TimeInterval = 15) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try records().contains(where: { Self.isRunning($0.pid) }) {
      if Date() > deadline { throw HarnessError("a notify program still runs after \(timeout) s") }
      usleep(20_000)
    }
  }

  /// The parent process of `pid` (its watchdog, for a program), from /proc.
  static func parent(of pid: pid_t) -> pid_t? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").dropFirst().first.flatMap { pid_t($0) }
  }

  /// The descriptors `pid` holds open.
  static func openDescriptors(of pid: pid_t) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [])
  }

  /// Alive and not a zombie (a zombie waits for its watchdog to reap it).
  static func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
    return state != "Z" && state != "X"
  }
}
