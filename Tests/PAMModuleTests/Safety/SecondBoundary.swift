import Foundation

/// The module reads the wall clock in whole seconds. Rate-limit times are
/// whole seconds too, so where a round of logins falls relative to the tick
/// of a second matters: these put a round's start just before or just after it.
enum SecondBoundary {
  /// Sleeps until `milliseconds` before the next whole second.
  static func waitUntil(millisecondsBefore milliseconds: Int) {
    let target = 1_000_000_000 - milliseconds * 1_000_000
    let now = nanosecondsIntoSecond()
    var wait = target - now
    if wait < 0 { wait += 1_000_000_000 }
    usleep(UInt32(wait / 1_000))
  }

  /// Returns at once when at least `milliseconds` of the current second
  /// remain, else sleeps into the next second.
  static func ensureRemaining(milliseconds: Int) {
    if nanosecondsIntoSecond() > 1_000_000_000 - milliseconds * 1_000_000 { waitUntil(millisecondsBefore: -5) }
  }

  /// The first whole second that begins at least `lead` milliseconds from
  /// now: time enough to prepare a round that is to start just before it.
  static func nextTick(afterAtLeast lead: Int) -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let ready = Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec / 1_000_000) + Int64(lead)
    return ready / 1_000 + 1
  }

  /// Sleeps until `milliseconds` before the second `tick` begins; returns
  /// at once if that moment has passed.
  static func waitUntil(millisecondsBefore milliseconds: Int, tick: Int64) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let nowMicroseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec / 1_000)
    let wait = tick * 1_000_000 - Int64(milliseconds) * 1_000 - nowMicroseconds
    if wait > 0 { usleep(UInt32(wait)) }
  }

  private static func nanosecondsIntoSecond() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return now.tv_nsec
  }
}
