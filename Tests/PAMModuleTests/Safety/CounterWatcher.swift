import Foundation

/// Reads an HOTP secret file over and over on its own thread while logins
/// race to update it, as another login's unlocked pre-prompt read would:
/// every read must parse, and the counter must never be seen going back.
final class CounterWatcher: @unchecked Sendable {
  private let path: String
  private let state = LockedValue((stop: false, reads: 0, counters: [UInt64](), problems: [String]()))
  private let finished = DispatchSemaphore(value: 0)

  init(_ path: String) {
    self.path = path
    Thread { [self] in watch() }.start()
  }

  /// Stops watching; what was seen.
  func stop() -> (reads: Int, counters: [UInt64], problems: [String]) {
    state.withLock { $0.stop = true }
    finished.wait()
    return state.withLock { ($0.reads, $0.counters, $0.problems) }
  }

  private func watch() {
    defer { finished.signal() }
    while !state.withLock({ $0.stop }) {
      // A read every 0.2 ms: often enough to see each state, while leaving
      // the CPU (two cores here) to the logins.
      usleep(200)
      guard let bytes = FileManager.default.contents(atPath: path) else {
        state.withLock { $0.problems.append("cannot read \(path)") }
        continue
      }
      switch SecretFileSnapshot.parse(bytes) {
      case .failure(let error):
        state.withLock { $0.problems.append("unparsable: \(error.description)") }
      case .success(let file):
        let counter = SecretFileSnapshot.hotpCounter(file)
        state.withLock { seen in
          seen.reads += 1
          guard let counter else { return seen.problems.append("not an HOTP file") }
          if let last = seen.counters.last, counter < last {
            seen.problems.append("counter went back from \(last) to \(counter)")
          }
          if seen.counters.last != counter { seen.counters.append(counter) }
        }
      }
    }
  }
}
