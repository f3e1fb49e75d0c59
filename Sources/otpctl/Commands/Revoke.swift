import ArgumentParser
import OTPStore

struct Revoke: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Delete a user's secret file.")

  @OptionGroup var named: NamedUserOptions

  func run() throws {
    try reportingErrors {
      let target = try named.resolve()
      do throws(StoreError) {
        try target.store.remove()
      } catch {
        throw target.failure(error)
      }
      print("Revoked \(named.user): removed \(target.path)")
    }
  }
}
