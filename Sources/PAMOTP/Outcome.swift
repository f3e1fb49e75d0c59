import CPAM

/// How one authentication ended: what libpam is told and what is logged.
/// The one place where results become PAM codes.
enum Outcome {
  case accepted(Acceptance, stateSaved: Bool, earlierFailures: Int)
  case withinGracePeriod
  case refused(Refusal)
  /// No secret file. With `nullok` the module stands aside (`PAM_IGNORE`).
  case notEnrolled(ignored: Bool)
  /// The user is unknown or has a name that cannot be used in a path.
  case unknownUser(reason: String)
  /// The secret file exists but cannot be trusted or read.
  case unusableSecret(StoreError)
  /// A code was right but the state could not be saved (and the code could
  /// be used again), so the login is denied.
  case stateNotSaved(StoreError)
  case badConfiguration(reason: String)
  case conversationFailed(PAMHandle.ConversationFailure)

  var code: Int32 {
    switch self {
    case .accepted, .withinGracePeriod: PAM_SUCCESS
    case .refused, .unknownUser: PAM_AUTH_ERR
    case .notEnrolled(let ignored): ignored ? PAM_IGNORE : PAM_AUTH_ERR
    case .unusableSecret, .stateNotSaved: PAM_AUTHINFO_UNAVAIL
    case .badConfiguration: PAM_SERVICE_ERR
    case .conversationFailed(.again): PAM_INCOMPLETE
    case .conversationFailed(.failed): PAM_CONV_ERR
    }
  }

  /// `result=... reason=...` for the log line. Never a code or a secret.
  var logText: String {
    switch self {
    case .accepted(let acceptance, let saved, let failures):
      "result=success method=\(acceptance.name)" + (failures > 0 ? " failures_before=\(failures)" : "")
        + (saved ? "" : " warning=\"state not saved (allow_readonly)\"")
    case .withinGracePeriod: "result=success method=grace_period"
    case .refused(let refusal): "result=refused reason=\"\(refusal.reason)\""
    case .notEnrolled(let ignored):
      ignored ? "result=ignored reason=\"not enrolled (nullok)\"" : "result=refused reason=\"not enrolled\""
    case .unknownUser(let reason): "result=refused reason=\"\(reason)\""
    case .unusableSecret(let error): "result=error reason=\"\(error.description)\""
    case .stateNotSaved(let error): "result=error reason=\"state not saved: \(error.description)\""
    case .badConfiguration(let reason): "result=error reason=\"\(reason)\""
    case .conversationFailed(.again): "result=incomplete reason=\"conversation will resume\""
    case .conversationFailed(.failed(let status)): "result=error reason=\"conversation failed (\(status))\""
    }
  }

  /// With `try_first_pass`, an earlier password that held no valid code
  /// leads to the prompt; anything else is final.
  var mayPromptAfterFirstPass: Bool {
    switch self {
    case .refused(.wrongCode), .refused(.malformedAnswer): true
    default: false
    }
  }

  var logPriority: Int32 {
    switch self {
    case .accepted, .withinGracePeriod, .notEnrolled(ignored: true): LOG_INFO
    case .refused, .notEnrolled, .unknownUser, .conversationFailed: LOG_NOTICE
    case .unusableSecret, .stateNotSaved, .badConfiguration: LOG_ERR
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
