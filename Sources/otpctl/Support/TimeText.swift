#if canImport(Glibc)
import Glibc
#endif

/// Times as a person reads them: local time (`TZ`), through libc, which
/// otpctl uses instead of Foundation's calendars (they would link ICU's
/// data into the static binary).
enum TimeText {
  /// `2026-11-23 10:41:37`, local time.
  static func local(_ time: Int64) -> String {
    format(time, "%Y-%m-%d %H:%M:%S") ?? "@\(time)"
  }

  /// The local time zone's abbreviation at `time` (`UTC`, `CET`).
  static func zone(at time: Int64) -> String {
    format(time, "%Z") ?? "local time"
  }

  private static func format(_ time: Int64, _ pattern: String) -> String? {
    tzset()
    var seconds = time_t(time)
    var parts = tm()
    guard localtime_r(&seconds, &parts) != nil else { return nil }
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, pattern, &parts)
    guard count > 0 else { return nil }
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `45 s`, `4 min 10 s`, `2 h 5 min`, `3 d 4 h`: the two largest units.
  static func duration(_ seconds: Int64) -> String {
    let units: [(size: Int64, name: String)] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")]
    let total = max(seconds, 0)
    let first = units.firstIndex { total >= $0.size } ?? units.count - 1
    var text = "\(total / units[first].size) \(units[first].name)"
    if first + 1 < units.count {
      let next = units[first + 1]
      let count = total % units[first].size / next.size
      // A second unit of 0 says nothing ("2 h 0 min").
      if count > 0 { text += " \(count) \(next.name)" }
    }
    return text
  }
}
