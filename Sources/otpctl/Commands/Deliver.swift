import ArgumentParser
import OTPCore
import OTPStore

struct Deliver: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Set or remove where a user's codes are sent by e-mail, SMS or push message.",
    discussion: "The module sends codes only with its deliver= option. The secret itself is unchanged.")

  @OptionGroup var named: NamedUserOptions

  @Argument(
    help: ArgumentHelp(
      "email:ADDRESS, sms:+NUMBER, push:TARGET (a topic, room or device the deliver= program knows), or none to remove.",
      valueName: "address"))
  var address: String

  func validate() throws {
    guard address == "none" || DeliveryAddress(parsing: Array(address.utf8)) != nil else {
      throw ValidationError(
        "the address must be email:ADDRESS, sms:+NUMBER (E.164), push:TARGET (letters, digits and ._~@+:/#!-) or none")
    }
  }

  func run() throws {
    try reportingErrors {
      let target = try named.resolve()
      let delivery = DeliveryAddress(parsing: Array(address.utf8))
      let update: SecretFileStore.Update<Bool>
      do throws(StoreError) {
        update = try target.store.update { file in
          // A user with neither an app nor an address could only use scratch codes.
          if delivery == nil && file.mode == .scratchCodesOnly && file.delivery != nil { return false }
          file.delivery = delivery
          file.sentCode = nil
          return true
        }
      } catch {
        throw target.failure(error)
      }
      guard update.result else {
        throw CLIError(.usage, "\(named.user) has no authenticator app; enrol one (otpctl enroll --force) before removing the address")
      }
      if let error = update.writeError { throw CLIError(error) }
      print(delivery.map { "Codes for \(named.user) are now sent \($0.channel.phrase) to \($0.addressText)" } ?? "Codes for \(named.user) are no longer sent")
    }
  }
}
