import Foundation

/// Stack lines around the module that let a test see what the application
/// alone cannot: libpam lets only modules set or read `PAM_AUTHTOK`
/// (`pam_set_item` from the application returns `PAM_BAD_ITEM`), and it
/// turns a stack in which every module ignored into `PAM_PERM_DENIED`.
extension PAMStack {
  /// An earlier password module, as pam_unix would be: pam_exec with
  /// `expose_authtok` asks "Password: " and stores the answer as PAM_AUTHTOK
  /// (its command, cat, just drains the password it is handed).
  static let earlierPasswordLine = systemLine("pam_exec.so", ["expose_authtok", "quiet", "/bin/cat"])

  /// pam_wrapper's pam_get_items copies every item into the PAM environment,
  /// where the application reads PAM_AUTHTOK with `pam_getenv`.
  static let exportItemsLine = systemLine("/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_get_items.so")

  /// The module, then a line reached only when it returned PAM_IGNORE, which
  /// answers PAM_CRED_UNAVAIL (a code the module itself never returns).
  /// Success ends the stack; any failure ends it with the module's code.
  static func revealingIgnore(_ options: [String]) throws -> PAMStack {
    PAMStack([
      try otpLine(options, control: "[success=done ignore=ignore default=die]"),
      systemLine("pam_debug.so", ["auth=cred_unavail"]),
    ])
  }
}
