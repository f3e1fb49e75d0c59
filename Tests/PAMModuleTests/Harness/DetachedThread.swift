import Foundation

/// Runs work on a new POSIX thread and waits until that thread has exited
/// (pthread_join), so its thread-exit destructors have run by the time
/// `run` returns.
enum DetachedThread {
  private final class Work {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  static func run(_ body: @escaping () -> Void) -> Int32 {
    var thread = pthread_t()
    let work = Unmanaged.passRetained(Work(body)).toOpaque()
    let created = pthread_create(&thread, nil, { argument in
      guard let argument else { return nil }
      Unmanaged<Work>.fromOpaque(argument).takeRetainedValue().body()
      return nil
    }, work)
    guard created == 0 else {
      Unmanaged<Work>.fromOpaque(work).release()
      return created
    }
    return pthread_join(thread, nil)
  }
}
