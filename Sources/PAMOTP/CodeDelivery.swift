import CPAM

/// Codes by e-mail or SMS within one login: a fresh code from the kernel's
/// CSPRNG, its salted hash stored under the lock (the policy decides
/// whether to send at all), then the administrator's program started
/// outside the lock. It is never waited for (see `RunningDelivery`): what
/// becomes of it is logged, and nothing is written, since the decoy line,
/// which starts nothing, could not do the same work. A code whose program
/// failed stays stored until it expires; no one but the program knew it.
/// In a `decoy` line the store is rehearsed and nothing is started.
struct CodeDelivery {
  let pam: PAMHandle
  let options: ModuleOptions
  let user: [UInt8]
  /// The programs started and not yet reaped, and where each sends.
  private var running: [(program: RunningDelivery, address: DeliveryAddress)] = []

  init(pam: PAMHandle, options: ModuleOptions, user: [UInt8]) {
    self.pam = pam
    self.options = options
    self.user = user
  }

  mutating func send(
    requested: Bool, store: SecretFileStore, snapshot: SecretFileStore.Snapshot?, policy: LoginPolicy, digits: Int
  ) {
    guard let command = options.deliveryCommand else { return }
    var code: [UInt8]
    let salt: [UInt8]
    do throws(SystemError) {
      code = try Self.randomCode(digits: digits)
      salt = try SecureRandom.bytes(SentCode.saltLength)
    } catch {
      log(LOG_ERR, "code not sent: \(error.description)")
      return
    }
    defer { SensitiveBytes.wipe(&code) }
    let update: SecretFileStore.Update<(SendDecision, DeliveryAddress?)>
    do throws(StoreError) {
      update = try store.update(from: snapshot, commit: !options.decoy) { file in
        (policy.send(file: &file, requested: requested, at: clock(), code: code, salt: salt), file.delivery)
      }
    } catch {
      log(LOG_ERR, "code not sent: \(error.description)")
      return
    }
    let (decision, address) = update.result
    guard decision == .send, let address else {
      log(LOG_INFO, "code not sent: \(decision.reason)")
      return
    }
    if let error = update.writeError {
      log(LOG_ERR, "code not sent: state not saved: \(error.description)")
      return
    }
    guard !options.decoy else { return }
    var environment: [(String, [UInt8])] = [("PAM_USER", user)]
    if let service = pam.item(PAM_SERVICE) { environment.append(("PAM_SERVICE", service)) }
    if let host = pam.item(PAM_RHOST) { environment.append(("PAM_RHOST", host)) }
    do throws(DeliveryCommand.Failure) {
      let program = try DeliveryCommand(path: command, timeout: options.deliveryTimeout)
        .start(code: code, to: address, environment: environment)
      running.append((program, address))
    } catch {
      failed(error, address: address)
    }
  }

  /// Looks at the programs without waiting, after an answer.
  mutating func poll() {
    running = running.filter { !report($0.program.poll(), address: $0.address) }
  }

  /// At the end of the login: each program is reaped, or ended if it still
  /// runs, so nothing of it outlives the module's call.
  mutating func stop() {
    for (program, address) in running { _ = report(program.stop(), address: address) }
    running = []
  }

  /// Logs what became of a program; false while it still runs.
  private func report(_ state: RunningDelivery.State, address: DeliveryAddress) -> Bool {
    switch state {
    case .running: return false
    case .delivered: log(LOG_INFO, "code sent \(address.channel.phrase) to \(address.masked)")
    case .failed(let error): failed(error, address: address)
    }
    return true
  }

  /// The user hears nothing of it (the same words as after any request);
  /// the log says why.
  private func failed(_ error: DeliveryCommand.Failure, address: DeliveryAddress) {
    log(LOG_ERR, "delivery=\(address.channel.name):\(address.masked) \(error.description)")
  }

  private func log(_ priority: Int32, _ text: String) {
    pam.log(priority, "\(LogFields.context(pam, user: user)) \(text)")
  }

  /// `digits` decimal digits, uniform, from the kernel's CSPRNG.
  static func randomCode(digits: Int) throws(SystemError) -> [UInt8] {
    var code: [UInt8] = []
    code.reserveCapacity(digits)
    for _ in 0..<digits { code.append(UInt8(ascii: "0") + UInt8(try SecureRandom.uniform(in: 0...9))) }
    return code
  }
}

extension SendDecision {
  /// Why no code was sent, for the log.
  var reason: String {
    switch self {
    case .send: "sent"
    case .useExisting: "a code sent earlier still works"
    case .tooSoon(let seconds): "asked again too soon (\(seconds) s before a new one)"
    case .tooManyButExistingWorks: "max_sends reached; the last code still works"
    case .tooMany: "max_sends reached"
    }
  }
}
