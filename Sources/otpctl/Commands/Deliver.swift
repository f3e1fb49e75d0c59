import ArgumentParser
import OTPCore
import OTPStore

struct Deliver: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Set or remove where a user's codes are sent by e-mail or SMS.",
    discussion: "The module sends codes only with its deliver= option. The secret itself is unchanged.")

  @Argument(help: "The user.")
  var user: String

  @Argument(help: ArgumentHelp("email:ADDRESS, sms:+NUMBER, or none to remove.", valueName: "address"))
  var address: String

  @Option(name: .customLong("secret-file"), help: ArgumentHelp("Use this secret file.", valueName: "path"))
  var secretFile: String?

  func validate() throws {
    guard address == "none" || DeliveryAddress(parsing: Array(address.utf8)) != nil else {
      throw ValidationError("the address must be email:ADDRESS, sms:+NUMBER (E.164) or none")
    }
  }

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(user: user, secretFile: secretFile)
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
        throw CLIError(.usage, "\(user) has no authenticator app; enrol one (otpctl enroll --force) before removing the address")
      }
      if let error = update.writeError { throw CLIError(error) }
      print(delivery.map { "Codes for \(user) are now sent \($0.channel.phrase) to \($0.addressText)" } ?? "Codes for \(user) are no longer sent")
    }
  }
}
