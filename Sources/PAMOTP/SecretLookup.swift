/// Finds and reads the user's secret file: the account (always looked up,
/// as GA does), the path from `secret=` with `${USER}` as the account's own
/// name, the checked open and the first read, before any prompt.
struct SecretLookup {
  let options: ModuleOptions
  /// PAM_USER as the application gave it.
  let user: [UInt8]

  struct Found {
    let standing: LoginPolicy.Standing
    /// The store and what was read, when there is a file.
    let store: SecretFileStore?
    let snapshot: SecretFileStore.Snapshot?
    /// Why the file could not be used, for the log.
    let problem: StoreError?
    /// The account's own name, which `${USER}` expands to.
    let accountName: [UInt8]?
  }

  enum Result {
    case found(Found)
    case badConfiguration(reason: String)
  }

  func find() -> Result {
    guard UserName.isValid(user) else { return .found(.without(.invalidUserName)) }
    // NSS may map several spellings to one account (`ALICE`, `alice@domain`
    // with SSSD): the file is the account's, found under its own name, so
    // one account never has two secrets, and no spelling has none.
    guard let record = UserDatabase.lookup(name: user), UserName.isValid(record.name) else {
      return .found(.without(.unknownUser))
    }
    var account = record.account
    var home: [UInt8]? = record.home
    if let fixed = options.fixedUser {
      guard let owner = UserDatabase.lookup(nameOrUID: fixed) else {
        return .badConfiguration(reason: "user= account not found")
      }
      account = owner.account
      home = nil
    }
    let path: [UInt8]
    do throws(SecretPathTemplate.ExpansionError) {
      path = try SecretPathTemplate.expand(options.secretTemplate, user: record.name, home: home)
    } catch {
      switch error {
      case .needsHome:
        return .badConfiguration(reason: "secret= uses the home directory, which user= does not have")
      case .notAbsolute:
        let problem = StoreError.invalidPath(path: "", reason: "secret= does not expand to an absolute path")
        return .found(Found(standing: .unusable, store: nil, snapshot: nil, problem: problem, accountName: record.name))
      }
    }
    let store = SecretFileStore(
      location: SecretFileLocation(
        path: path, account: account, allowedPermissions: options.allowedPermissions,
        strictOwner: !options.noStrictOwner))
    do throws(StoreError) {
      let snapshot = try store.snapshot()
      return .found(
        Found(
          standing: .enrolled(snapshot.file), store: store, snapshot: snapshot, problem: nil,
          accountName: record.name))
    } catch {
      if case .notFound = error {
        return .found(Found(standing: .notEnrolled, store: store, snapshot: nil, problem: nil, accountName: record.name))
      }
      return .found(Found(standing: .unusable, store: store, snapshot: nil, problem: error, accountName: record.name))
    }
  }
}

extension SecretLookup.Found {
  static func without(_ standing: LoginPolicy.Standing) -> Self {
    Self(standing: standing, store: nil, snapshot: nil, problem: nil, accountName: nil)
  }
}
