import CPAM
import CShims

/// Sends a code by e-mail or SMS through the administrator's `deliver=`
/// program: a fresh code from the kernel's CSPRNG, its salted hash stored
/// under the lock (replacing any earlier code), then the program run outside
/// the lock. In a `decoy` line nothing is stored or sent.
struct CodeSender {
  let authentication: Authentication
  let store: SecretFileStore
  let address: DeliveryAddress
  /// The file's DIGITS: sent codes are as long as the app's.
  let digits: Int

  enum Result {
    case sent
    /// A code sent earlier still works: ask for it.
    case useExisting
    /// A code sent moments ago still works; a new one later.
    case tooSoon(seconds: Int64)
    case failure(Outcome)
  }

  private var pam: PAMHandle { authentication.pam }
  private var options: ModuleOptions { authentication.options }

  mutating func send(requested: Bool) -> Result {
    let now = authentication.now()
    let settings = options.delivery
    if options.decoy { return .sent }
    guard let command = options.deliveryCommand else { return .failure(.refused(.deliveryFailed)) }
    var code: [UInt8]
    let salt: [UInt8]
    do throws(SystemError) {
      code = try Self.randomCode(digits: digits)
      salt = try SecureRandom.bytes(SentCode.saltLength)
    } catch {
      return .failure(.unusableSecret(.system(path: "", error)))
    }
    defer { SensitiveBytes.wipe(&code) }

    let update: SecretFileStore.Update<SendDecision>
    do throws(StoreError) {
      update = try store.update { file in
        let decision = file.sendDecision(at: now, settings: settings, requested: requested)
        if decision == .send { file.recordSentCode(code, salt: salt, at: now, settings: settings) }
        return decision
      }
    } catch {
      return .failure(.unusableSecret(error))
    }
    switch update.result {
    case .useExisting: return .useExisting
    case .tooSoon(let seconds): return .tooSoon(seconds: seconds)
    case .tooManyButExistingWorks:
      pam.tell("Too many codes were sent recently; enter the last one you received.", isError: true)
      return .useExisting
    case .tooMany:
      pam.tell("Too many codes were sent recently; try again later.", isError: true)
      return .failure(.refused(.tooManyDeliveries))
    case .send:
      if let error = update.writeError { return .failure(.stateNotSaved(error)) }
    }

    var environment: [(String, [UInt8])] = [("PAM_USER", authentication.user)]
    if let service = pam.item(PAM_SERVICE) { environment.append(("PAM_SERVICE", service)) }
    if let host = authentication.remoteHost { environment.append(("PAM_RHOST", host)) }
    do throws(DeliveryCommand.Failure) {
      try DeliveryCommand(path: command, timeout: options.deliveryTimeout).send(code: code, to: address, environment: environment)
    } catch {
      pam.log(LOG_ERR, "\(authentication.context) delivery=\(address.channel.name):\(address.masked) \(error.description)")
      pam.tell("The code could not be sent \(address.channel.phrase); please try again later.", isError: true)
      do throws(StoreError) {
        _ = try store.update { file in
          if file.sentCode?.salt == salt { file.discardSentCode() }
        }
      } catch {
        // The undelivered code stays stored until it expires; no one knows it.
      }
      return .failure(.refused(.deliveryFailed))
    }
    pam.log(LOG_INFO, "\(authentication.context) code sent \(address.channel.phrase) to \(address.masked)")
    return .sent
  }

  /// `digits` decimal digits, uniform, from the kernel's CSPRNG.
  static func randomCode(digits: Int) throws(SystemError) -> [UInt8] {
    var code: [UInt8] = []
    for _ in 0..<digits { code.append(UInt8(ascii: "0") + UInt8(try SecureRandom.uniform(in: 0...9))) }
    return code
  }
}
