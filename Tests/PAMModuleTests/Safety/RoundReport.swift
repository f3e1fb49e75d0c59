import Foundation

/// What a round of simultaneous logins returned, with the module's log
/// reasons for every result other than success or refusal, so that a
/// failure says why (e.g. an error reported for a file that is fine).
struct RoundReport: CustomStringConvertible {
  let statuses: [PAMStatus]
  let errorReasons: [String]

  init(_ results: [AuthenticationResult], sink: SyslogSink) throws {
    statuses = results.map(\.status)
    var reasons: [String] = []
    for result in results where result.status != .success && result.status != .authError {
      for line in try sink.lines(containing: result.service) {
        guard let reason = line.raw.range(of: "reason=") else { continue }
        reasons.append(String(line.raw[reason.lowerBound...]))
      }
    }
    errorReasons = reasons
  }

  var successes: Int { statuses.filter { $0 == .success }.count }
  /// Every login either got in or was refused; none hit an error.
  var onlySuccessOrRefusal: Bool { statuses.allSatisfy { $0 == .success || $0 == .authError } }

  /// "PAM_SUCCESS (0) x1, PAM_AUTH_ERR (7) x63", then the error reasons, on one line.
  var description: String {
    let tally = Dictionary(grouping: statuses, by: \.raw).sorted { $0.key < $1.key }
      .map { "\($0.value[0]) x\($0.value.count)" }.joined(separator: ", ")
    let reasons = Dictionary(grouping: errorReasons, by: { $0 }).map { "\($0.value.count) x \($0.key)" }
    return ([tally] + reasons.sorted()).joined(separator: "; ")
  }
}
