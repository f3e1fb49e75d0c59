import CPAM
import CShims

/// Alerts within one login (`notify=`): `LoginPolicy` decides which; this
/// starts the administrator's program for each, with the login's context,
/// and never waits for it (see `NotifyCommand`). Nothing it does changes or
/// delays the login's result: a program that cannot be started is logged,
/// and how a started one ends is logged by its watchdog.
struct Alerting {
  let pam: PAMHandle
  let options: ModuleOptions
  /// PAM_USER as given, for the log lines (as every line of the login).
  let user: [UInt8]
  /// The account's own name, for the program: the secret file is its.
  let account: [UInt8]

  /// `time`: when the policy decided.
  func raise(_ alerts: [Alert], at time: Int64, delivery: DeliveryAddress?, problem: StoreError?) {
    guard let path = options.notifyCommand, !alerts.isEmpty else { return }
    let command = NotifyCommand(path: path, timeout: options.notifyTimeout)
    var environment: [(String, [UInt8])] = [("PAM_USER", user)]
    if let service = pam.item(PAM_SERVICE) { environment.append(("PAM_SERVICE", service)) }
    if let host = pam.item(PAM_RHOST) { environment.append(("PAM_RHOST", host)) }
    let context = Alert.Context(
      user: account, service: pam.item(PAM_SERVICE), remoteHost: pam.item(PAM_RHOST), tty: pam.item(PAM_TTY),
      time: time, delivery: delivery, reason: problem.map { Array($0.description.utf8) })
    for alert in alerts {
      do throws(NotifyCommand.Failure) {
        try command.start(
          event: alert.event, input: alert.input(context), environment: environment, log: logLines(alert))
      } catch {
        pam.log(LOG_ERR, "\(LogFields.context(pam, user: user)) alert=\(alert.event) \(error.description)")
      }
    }
  }

  /// The watchdog's lines, as `pam_syslog` would write them for this
  /// module: `NAME(SERVICE:auth): user=… alert=EVENT …`, under the host's
  /// name and pid.
  private func logLines(_ alert: Alert) -> NotifyCommand.LogLines {
    var name = [CChar](repeating: 0, count: 256)
    let named = name.withUnsafeMutableBufferPointer { cshim_module_name($0.baseAddress, $0.count) } != 0
    let module = named ? name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) } : Array("pam_otp".utf8)
    let service = pam.item(PAM_SERVICE).map(LogFields.escape) ?? "-"
    let prefix = module + Array("(\(service):auth): \(LogFields.context(pam, user: user)) alert=\(alert.event) ".utf8)
    var tag = Array("pam_otp".utf8)
    if let program = cshim_program_name() { tag = PAMHandle.bytes(of: program) }
    return NotifyCommand.LogLines(prefix: prefix, tag: tag, pid: getpid())
  }
}
