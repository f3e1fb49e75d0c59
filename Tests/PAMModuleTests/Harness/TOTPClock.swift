import Foundation

/// The module reads the real clock, so time-based tests compute codes for
/// "now" right before authenticating and keep clear of step boundaries.
enum TOTPClock {
  static func now() -> Int64 { Int64(time(nil)) }

  /// Waits until at least `margin` seconds remain in the current step of
  /// `period` seconds, then returns the time. A code computed now is then
  /// still in the same step when the module checks it.
  @discardableResult
  static func freshStep(period: Int, margin: Int = 3) -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    let into = Double(Int(time.tv_sec) % period) + Double(time.tv_nsec) / 1e9
    if into > Double(period - margin) {
      usleep(UInt32((Double(period) - into + 0.05) * 1e6))
    }
    return now()
  }

  /// Sleeps into the next second (for 1-second steps), landing early in it.
  @discardableResult
  static func nextSecond() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    usleep(UInt32((1e9 - Double(time.tv_nsec)) / 1e3) + 20_000)
    return now()
  }
}
