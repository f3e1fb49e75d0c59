import CPAM

/// How one call of the module ended: what libpam is told and what is
/// logged. The one place where results become PAM codes.
enum Outcome {
  /// The login's conclusion, with the error behind an unusable secret or
  /// an unsaved state, for the log.
  case decided(Conclusion, problem: StoreError?)
  /// The `decoy` line: it refuses whatever the real line would have
  /// concluded from the same file and answers, which is logged too.
  case decoy(wouldHave: Conclusion, problem: StoreError?, prompted: Bool)
  case badConfiguration(reason: String)
  case conversationFailed(PAMHandle.ConversationFailure)

  var code: Int32 {
    switch self {
    case .decided(let conclusion, _):
      switch conclusion {
      case .accepted, .withinGracePeriod: PAM_SUCCESS
      case .refused, .unknownUser, .invalidUserName, .notEnrolled(ignored: false): PAM_AUTH_ERR
      case .notEnrolled(ignored: true): PAM_IGNORE
      case .unusableSecret, .stateNotSaved, .clockBeforeEpoch, .directoryUnavailable: PAM_AUTHINFO_UNAVAIL
      case .enrolment(.saved): PAM_SUCCESS
      case .enrolment(.notConfirmed), .enrolment(.enrolledElsewhere): PAM_AUTH_ERR
      case .enrolment(.notSaved): PAM_AUTHINFO_UNAVAIL
      }
    // Always a refusal, also where the real line would stand aside (a
    // `nullok` user without a file): a stack's result must not tell who is
    // enrolled.
    case .decoy: PAM_AUTH_ERR
    case .badConfiguration: PAM_SERVICE_ERR
    case .conversationFailed(.again): PAM_INCOMPLETE
    case .conversationFailed(.failed): PAM_CONV_ERR
    }
  }

  /// `result=… reason=…` for the log line. Never a code or a secret.
  var logText: String {
    switch self {
    case .decided(let conclusion, let problem):
      let (result, reason, extra) = Self.summary(of: conclusion, problem: problem)
      return "result=\(result)" + (reason.map { " reason=\(LogFields.quoted($0))" } ?? "") + extra
    case .decoy(let conclusion, let problem, let prompted):
      let (result, reason, _) = Self.summary(of: conclusion, problem: problem)
      let real = result + (reason.map { ": " + $0 } ?? "")
      return "result=decoy reason=\"earlier module failed\" real_line=\(LogFields.quoted(real))"
        + " prompted=\(prompted ? "yes" : "no")"
    case .badConfiguration(let reason): return "result=error reason=\(LogFields.quoted(reason))"
    case .conversationFailed(.again): return "result=incomplete reason=\"conversation will resume\""
    case .conversationFailed(.failed(let status)): return "result=error reason=\"conversation failed (\(status))\""
    }
  }

  /// The result word, the reason, and any further fields of a conclusion.
  private static func summary(of conclusion: Conclusion, problem: StoreError?) -> (String, String?, String) {
    let detail = problem.map { ": " + $0.description } ?? ""
    switch conclusion {
    case .accepted(let acceptance, let saved, let failures, let token):
      let extra = " method=\(acceptance.name)" + (token.map { " token=\(LogFields.escape($0))" } ?? "")
        + (failures > 0 ? " failures_before=\(failures)" : "")
        + (saved ? "" : " warning=\"state not saved (allow_readonly)\"")
      return ("success", nil, extra)
    case .withinGracePeriod: return ("success", nil, " method=grace_period")
    case .refused(let refusal): return ("refused", refusal.reason, "")
    case .notEnrolled(let ignored): return ignored ? ("ignored", "not enrolled (nullok)", "") : ("refused", "not enrolled", "")
    case .unknownUser: return ("refused", "unknown user", "")
    case .invalidUserName: return ("refused", "invalid user name", "")
    case .unusableSecret: return ("error", problem?.description ?? "secret unusable", "")
    case .stateNotSaved: return ("error", "state not saved" + detail, "")
    case .clockBeforeEpoch: return ("error", "system clock is before 1970", "")
    case .enrolment(.saved): return ("enrolled", nil, " method=first_login")
    case .enrolment(.notConfirmed): return ("refused", "enrolment not confirmed", "")
    case .enrolment(.enrolledElsewhere): return ("refused", "enrolled by another login", "")
    case .enrolment(.notSaved): return ("error", "enrolment not saved" + detail, "")
    case .directoryUnavailable: return ("error", "directory unavailable", "")
    }
  }

  var logPriority: Int32 {
    switch self {
    case .decided(let conclusion, _):
      switch conclusion {
      case .accepted, .withinGracePeriod, .notEnrolled(ignored: true): LOG_INFO
      case .refused, .notEnrolled, .unknownUser, .invalidUserName: LOG_NOTICE
      case .unusableSecret, .stateNotSaved, .clockBeforeEpoch, .directoryUnavailable: LOG_ERR
      case .enrolment(.saved): LOG_INFO
      case .enrolment(.notConfirmed), .enrolment(.enrolledElsewhere): LOG_NOTICE
      case .enrolment(.notSaved): LOG_ERR
      }
    case .decoy, .conversationFailed: LOG_NOTICE
    case .badConfiguration: LOG_ERR
    }
  }
}

extension Acceptance {
  var name: String {
    switch self {
    case .totp: "totp"
    case .hotp: "hotp"
    case .scratchCode: "scratch_code"
    case .skewAdjusted: "totp_skew_adjusted"
    case .sentCode: "sent_code"
    }
  }
}
