import Foundation

/// Runs one body per POSIX thread and releases them together: every thread
/// waits at the gate until all have started and are waiting, then all go at
/// once, so the bodies really race (a thread pool would start them one after
/// another). Returns each body's result, in index order, after every thread
/// has exited.
enum StartingGate {
  private final class Gate: @unchecked Sendable {
    let condition = NSCondition()
    var waiting = 0
    var open = false

    /// A thread's side: reports that it waits, then waits for the opening.
    func arriveAndWait() {
      condition.lock()
      waiting += 1
      condition.broadcast()
      while !open { condition.wait() }
      condition.unlock()
    }

    /// The starter's side: once `count` threads wait, opens for all.
    func open(whenWaiting count: Int) {
      condition.lock()
      while waiting < count { condition.wait() }
      open = true
      condition.broadcast()
      condition.unlock()
    }
  }

  private final class Work {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }

  static func run<Value>(threads count: Int, _ body: @escaping @Sendable (Int) -> Value) throws -> [Value] {
    let gate = Gate()
    let results = LockedValue<[Int: Value]>([:])
    var threads: [pthread_t] = []
    var failure: Int32 = 0
    for index in 0..<count {
      let work = Unmanaged.passRetained(Work {
        gate.arriveAndWait()
        let value = body(index)
        results.withLock { $0[index] = value }
      }).toOpaque()
      var thread = pthread_t()
      failure = pthread_create(&thread, nil, { argument in
        guard let argument else { return nil }
        Unmanaged<Work>.fromOpaque(argument).takeRetainedValue().run()
        return nil
      }, work)
      guard failure == 0 else {
        Unmanaged<Work>.fromOpaque(work).release()
        break
      }
      threads.append(thread)
    }
    // Opens also after a failed pthread_create, so no started thread hangs.
    gate.open(whenWaiting: threads.count)
    for thread in threads { pthread_join(thread, nil) }
    guard failure == 0 else { throw HarnessError("pthread_create failed (\(failure)) after \(threads.count) threads") }
    let collected = results.current
    return try (0..<count).map { index in
      guard let value = collected[index] else { throw HarnessError("thread \(index) returned nothing") }
      return value
    }
  }
}
