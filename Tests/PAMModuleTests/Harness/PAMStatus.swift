import CPAM

/// A PAM return code that prints its name, so a failed expectation reads
/// "PAM_AUTH_ERR (7)" instead of "7".
struct PAMStatus: Equatable, CustomStringConvertible, Sendable {
  let raw: Int32

  init(_ raw: Int32) { self.raw = raw }

  static let success = PAMStatus(PAM_SUCCESS)
  static let authError = PAMStatus(PAM_AUTH_ERR)
  static let ignore = PAMStatus(PAM_IGNORE)
  static let authInfoUnavailable = PAMStatus(PAM_AUTHINFO_UNAVAIL)
  static let serviceError = PAMStatus(PAM_SERVICE_ERR)
  static let incomplete = PAMStatus(PAM_INCOMPLETE)
  static let conversationError = PAMStatus(PAM_CONV_ERR)
  static let credentialsUnavailable = PAMStatus(PAM_CRED_UNAVAIL)
  static let permissionDenied = PAMStatus(PAM_PERM_DENIED)

  var description: String {
    let names: [Int32: String] = [
      PAM_SUCCESS: "PAM_SUCCESS", PAM_AUTH_ERR: "PAM_AUTH_ERR", PAM_IGNORE: "PAM_IGNORE",
      PAM_AUTHINFO_UNAVAIL: "PAM_AUTHINFO_UNAVAIL", PAM_SERVICE_ERR: "PAM_SERVICE_ERR",
      PAM_INCOMPLETE: "PAM_INCOMPLETE", PAM_CONV_ERR: "PAM_CONV_ERR", PAM_CRED_UNAVAIL: "PAM_CRED_UNAVAIL",
      PAM_PERM_DENIED: "PAM_PERM_DENIED", PAM_USER_UNKNOWN: "PAM_USER_UNKNOWN", PAM_BAD_ITEM: "PAM_BAD_ITEM",
      PAM_SYSTEM_ERR: "PAM_SYSTEM_ERR", PAM_ABORT: "PAM_ABORT", PAM_BUF_ERR: "PAM_BUF_ERR",
    ]
    return "\(names[raw] ?? "PAM status") (\(raw))"
  }
}
