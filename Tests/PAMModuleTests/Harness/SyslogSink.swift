import Foundation
import Testing

/// A syslog daemon's socket for the tests: a Unix datagram socket bound at
/// /dev/log (these machines have none), read by a thread so that no sender
/// ever blocks on a full queue (the kernel queues only ~10 datagrams), and
/// removed again by `close()`. It refuses to displace a live /dev/log.
final class SyslogSink: @unchecked Sendable {
  static let path = "/dev/log"

  private let descriptor: Int32
  private let lock = NSLock()
  private var received: [String] = []
  private var stopping = false
  private let readerDone = DispatchSemaphore(value: 0)
  private var closed = false

  init() throws {
    try Self.claimPath()
    descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    try #require(descriptor >= 0, "socket: errno \(errno)")
    let bound = Self.withAddress(Self.path) { bind(descriptor, $0, $1) }
    guard bound == 0 else {
      let error = errno
      Glibc.close(descriptor)
      throw HarnessError("cannot bind \(Self.path): errno \(error)")
    }
    chmod(Self.path, 0o666)
    let thread = Thread { [unowned self] in self.readUntilStopped() }
    thread.name = "SyslogSink"
    thread.start()
  }

  deinit { close() }

  /// Stops reading, closes the socket and removes /dev/log.
  func close() {
    guard !closed else { return }
    closed = true
    lock.withLock { stopping = true }
    readerDone.wait()
    unlink(Self.path)
    Glibc.close(descriptor)
  }

  /// Every line received so far that contains `marker` (e.g. a session's
  /// unique service name), after everything sent before this call arrived.
  func lines(containing marker: String) throws -> [SyslogLine] {
    try flush()
    return lock.withLock { received }.filter { $0.contains(marker) }.map(SyslogLine.init)
  }

  /// Sends a marker through the socket and waits until the reader has seen
  /// it: datagrams queue in order, so all earlier lines have been read.
  private func flush() throws {
    let marker = "pam_otp-tests-flush-\(UUID().uuidString)"
    let sender = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { Glibc.close(sender) }
    let sent = Self.withAddress(Self.path) { address, length in
      marker.withCString { sendto(sender, $0, strlen($0), 0, address, length) }
    }
    try #require(sent > 0, "cannot send to \(Self.path): errno \(errno)")
    for _ in 0..<500 {
      if lock.withLock({ received.contains(marker) }) { return }
      usleep(2_000)
    }
    throw HarnessError("the syslog sink did not receive its own marker within a second")
  }

  private func readUntilStopped() {
    var buffer = [UInt8](repeating: 0, count: 8192)
    while !lock.withLock({ stopping }) {
      var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 50) > 0 else { continue }
      let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
      if count > 0 {
        let line = String(decoding: buffer[0..<count], as: UTF8.self)
        lock.withLock { received.append(line) }
      }
    }
    readerDone.signal()
  }

  /// Takes /dev/log when nothing is there. A socket no one listens on (left
  /// by a crashed run) is removed; a live one (another test run's sink) is
  /// waited for up to a minute, then reported.
  private static func claimPath() throws {
    for _ in 0..<600 {
      var info = stat()
      guard lstat(path, &info) == 0 else { return }
      if (info.st_mode & S_IFMT) == S_IFSOCK && !isListening() {
        unlink(path)
        continue
      }
      usleep(100_000)
    }
    throw HarnessError(
      "\(path) is in use by another process (a syslog daemon or another test run); the log-line tests need to bind it")
  }

  private static func isListening() -> Bool {
    let probe = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { Glibc.close(probe) }
    return withAddress(path) { connect(probe, $0, $1) } == 0 || errno != ECONNREFUSED
  }

  private static func withAddress<Result>(
    _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
  ) -> Result {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
    }
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }
}

/// One datagram as syslog(3) sends it: `<PRI>Mmm dd hh:mm:ss ident[pid]: text`.
struct SyslogLine: CustomStringConvertible {
  let raw: String

  init(_ raw: String) { self.raw = raw }

  private var priorityValue: Int? {
    guard raw.hasPrefix("<"), let end = raw.firstIndex(of: ">") else { return nil }
    return Int(raw[raw.index(after: raw.startIndex)..<end])
  }

  /// LOG_AUTHPRIV is facility 10.
  var facility: Int? { priorityValue.map { $0 >> 3 } }
  /// LOG_ERR, LOG_NOTICE, ...
  var severity: Int32? { priorityValue.map { Int32($0 & 7) } }
  var description: String { raw }

  func contains(_ text: String) -> Bool { raw.contains(text) }
}
