/// The arguments of `auth required pam_otp.so OPTIONS`: every option of
/// google-authenticator-libpam with its meaning, so a GA line works after
/// renaming the module. Parsed from a table; anything unknown or malformed
/// is an error that names it (the module then fails closed).
public struct ModuleOptions: Sendable {
  /// `secret=`: the path template (`~`, `${USER}`, `${HOME}` expand).
  public var secretTemplate: [UInt8] = Array("/var/lib/pam_otp/${USER}".utf8)
  public var isDefaultSecretPath = true
  /// `user=`: an account (name or uid) that owns every secret file.
  public var fixedUser: [UInt8]? = nil
  public var nullOK = false
  public var debug = false
  /// `authtok_prompt=`: replaces the prompt text.
  public var prompt: [UInt8]? = nil
  public var echoCode = false
  public var forwardPass = false
  public var tryFirstPass = false
  public var useFirstPass = false
  public var noSkewAdjust = false
  public var noIncrementHOTP = false
  public var allowReadonly = false
  public var noStrictOwner = false
  /// `allowed_perm=`: permission bits a secret file may have.
  public var allowedPermissions: UInt32 = 0o600
  /// `grace_period=`: seconds.
  public var gracePeriod: Int64 = 0
  /// `decoy`: ask for a code as usual, then refuse without changing any
  /// secret file. For the stack line reached when the password was wrong:
  /// the prompt looks the same (no password oracle) and no one without the
  /// password can use up a user's attempts. With `nullok` it stands aside
  /// for users without a secret file, as the real line does.
  public var decoy = false
  /// `backoff=`, `backoff_after=`, `backoff_max=`: the wait after wrong codes.
  public var backoff = Backoff()
  /// `deliver=`: the program that sends codes by e-mail or SMS.
  public var deliveryCommand: [UInt8]? = nil
  /// `code_ttl=`, `resend_after=`, `max_sends=`.
  public var delivery = DeliverySettings()
  /// `deliver_timeout=`: seconds the program may take.
  public var deliveryTimeout: Int64 = 15
  /// `notify=`: the program told of events an administrator (and the user)
  /// should hear of at once (see `Alert`).
  public var notifyCommand: [UInt8]? = nil
  /// `notify_timeout=`: seconds that program may take.
  public var notifyTimeout: Int64 = 15
  /// `enroll=first-login` and its `enroll_*` limits (FirstLoginOptions.swift).
  public var firstLogin = FirstLoginOptions()
  /// `ldap=`: the fleet's directory configuration (FleetConfiguration);
  /// tokens and their state then live there, not in a secret file.
  public var ldapConfiguration: [UInt8]? = nil
  /// `fleet_unavailable=local`: with the directory unreachable, verify
  /// against the local copy (the `secret=` file the fleet login keeps)
  /// instead of ending in PAM_AUTHINFO_UNAVAIL (`deny`, the default).
  public var fleetUnavailableLocal = false

  public init() {}

  public enum ParseError: Error, Equatable, Sendable {
    /// An option this module does not know.
    case unknown([UInt8])
    /// A known option with a value it cannot take.
    case malformed([UInt8])

    public var description: String {
      switch self {
      case .unknown(let argument): "unrecognized option [\(ASCII.printable(argument))]"
      case .malformed(let argument): "invalid value in option [\(ASCII.printable(argument))]"
      }
    }
  }

  public static let maximumGracePeriod: Int64 = 7 * 24 * 3600

  public static func parse(_ arguments: [[UInt8]]) throws(ParseError) -> ModuleOptions {
    var options = ModuleOptions()
    for argument in arguments {
      let equals = argument.firstIndex(of: UInt8(ascii: "=")) ?? argument.endIndex
      let name = Array(argument[..<equals])
      let value: [UInt8]? = equals < argument.endIndex ? Array(argument[(equals + 1)...]) : nil
      guard let option = table.first(where: { Array($0.name.utf8) == name }) else {
        throw .unknown(argument)
      }
      guard option.apply(&options, value) else { throw .malformed(argument) }
    }
    return options
  }

  /// The settings the verification policy takes from these options.
  public var verificationSettings: VerificationSettings {
    VerificationSettings(
      adjustSkew: !noSkewAdjust, advanceCounterOnFailure: !noIncrementHOTP, gracePeriod: gracePeriod,
      backoff: backoff)
  }

  typealias Apply = @Sendable (inout ModuleOptions, [UInt8]?) -> Bool

  /// One row per option: its name and how it sets the options. Flags take no
  /// value; the others require one.
  static let table: [(name: String, apply: Apply)] = [
    ("secret", { options, value in
      guard let value, !value.isEmpty, !value.contains(0) else { return false }
      options.secretTemplate = value
      options.isDefaultSecretPath = false
      return true
    }),
    ("user", { options, value in
      guard let value, UserName.isValid(value) else { return false }
      options.fixedUser = value
      return true
    }),
    ("authtok_prompt", { options, value in
      guard let value, !value.isEmpty, value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else { return false }
      options.prompt = value
      return true
    }),
    ("allowed_perm", { options, value in
      guard let value, let mode = octal(value), mode > 0, mode <= 0o7777 else { return false }
      options.allowedPermissions = mode
      return true
    }),
    ("grace_period", { options, value in
      guard let value, let seconds = Decimal.parse(value, maxDigits: 9), Int64(seconds) <= maximumGracePeriod
      else { return false }
      options.gracePeriod = Int64(seconds)
      return true
    }),
    ("backoff", { options, value in
      guard let value, let seconds = Decimal.parse(value, maxDigits: 7) else { return false }
      options.backoff.initialDelay = Int64(seconds)
      return true
    }),
    ("backoff_after", { options, value in
      guard let value, let count = Decimal.parse(value, maxDigits: 3), count <= 100 else { return false }
      options.backoff.freeFailures = Int(count)
      return true
    }),
    ("backoff_max", { options, value in
      guard let value, let seconds = Decimal.parse(value, maxDigits: 9), seconds > 0 else { return false }
      options.backoff.maximumDelay = Int64(seconds)
      return true
    }),
    ("deliver", { options, value in
      guard let value, value.first == UInt8(ascii: "/"), !value.contains(0) else { return false }
      options.deliveryCommand = value
      return true
    }),
    ("notify", { options, value in
      guard let value, value.first == UInt8(ascii: "/"), !value.contains(0) else { return false }
      options.notifyCommand = value
      return true
    }),
    ("ldap", { options, value in
      guard let value, value.first == UInt8(ascii: "/"), !value.contains(0) else { return false }
      options.ldapConfiguration = value
      return true
    }),
    ("fleet_unavailable", { options, value in
      if value == Array("deny".utf8) {
        options.fleetUnavailableLocal = false
      } else if value == Array("local".utf8) {
        options.fleetUnavailableLocal = true
      } else {
        return false
      }
      return true
    }),
    ("notify_timeout", seconds(in: 1...300) { $0.notifyTimeout = $1 }),
    ("code_ttl", seconds(in: 1...86_400) { $0.delivery.codeLifetime = $1 }),
    ("resend_after", seconds(in: 0...3600) { $0.delivery.resendAfter = $1 }),
    ("deliver_timeout", seconds(in: 1...300) { $0.deliveryTimeout = $1 }),
    ("max_sends", { options, value in
      let parts = value?.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) ?? []
      guard parts.count == 2, let count = Decimal.parse(parts[0], maxDigits: 3), (1...100).contains(count),
        let window = Decimal.parse(parts[1], maxDigits: 6), (1...86_400).contains(window)
      else { return false }
      options.delivery.maximumSends = Int(count)
      options.delivery.sendWindow = Int64(window)
      return true
    }),
    ("nullok", flag { $0.nullOK = true }),
    ("debug", flag { $0.debug = true }),
    ("echo_verification_code", flag { $0.echoCode = true }),
    ("echo-verification-code", flag { $0.echoCode = true }),
    ("forward_pass", flag { $0.forwardPass = true }),
    ("try_first_pass", flag { $0.tryFirstPass = true }),
    ("use_first_pass", flag { $0.useFirstPass = true }),
    ("noskewadj", flag { $0.noSkewAdjust = true }),
    ("no_increment_hotp", flag { $0.noIncrementHOTP = true }),
    ("allow_readonly", flag { $0.allowReadonly = true }),
    ("no_strict_owner", flag { $0.noStrictOwner = true }),
    ("decoy", flag { $0.decoy = true }),
  ] + firstLoginTable

  private static func flag(_ set: @escaping @Sendable (inout ModuleOptions) -> Void) -> Apply {
    { options, value in
      guard value == nil else { return false }
      set(&options)
      return true
    }
  }

  private static func seconds(
    in range: ClosedRange<Int64>, _ set: @escaping @Sendable (inout ModuleOptions, Int64) -> Void
  ) -> Apply {
    { options, value in
      guard let value, let number = Decimal.parse(value, maxDigits: 9), range.contains(Int64(number)) else {
        return false
      }
      set(&options, Int64(number))
      return true
    }
  }

  private static func octal(_ text: [UInt8]) -> UInt32? {
    guard !text.isEmpty, text.count <= 5 else { return nil }
    var value: UInt32 = 0
    for byte in text {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { return nil }
      value = value * 8 + UInt32(byte - UInt8(ascii: "0"))
    }
    return value
  }
}

/// User names as they may reach a path.
public enum UserName {
  /// A name that cannot change the meaning of a path: not empty, at most
  /// 255 bytes (a file name's limit, so `${USER}` always fits), no `/`, no leading `.` (so neither `.` nor `..`), no control
  /// characters or spaces.
  public static let maximumLength = 255

  public static func isValid<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
    guard !name.isEmpty, name.count <= maximumLength, name.first != UInt8(ascii: ".") else { return false }
    return name.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "/") }
  }
}

/// Expands a `secret=` template: `~` at the start is the home directory,
/// `${USER}` the user name and `${HOME}` the home directory, anywhere.
public enum SecretPathTemplate {
  public enum ExpansionError: Error, Equatable, Sendable {
    /// The template needs a home directory and there is none (or `user=`).
    case needsHome
    /// The result is not an absolute path.
    case notAbsolute
  }

  public static func usesHome(_ template: [UInt8]) -> Bool {
    template.first == UInt8(ascii: "~") || contains(template, Array("${HOME}".utf8))
  }

  public static func expand(_ template: [UInt8], user: [UInt8], home: [UInt8]?) throws(ExpansionError)
    -> [UInt8]
  {
    // An empty or relative home would turn `~/x` into some other path.
    let home = home.flatMap { $0.first == UInt8(ascii: "/") ? $0 : nil }
    var result: [UInt8] = []
    var index = template.startIndex
    if template.first == UInt8(ascii: "~"), template.count == 1 || template[1] == UInt8(ascii: "/") {
      guard let home else { throw .needsHome }
      result += home
      index += 1
    }
    let userVariable = Array("${USER}".utf8)
    let homeVariable = Array("${HOME}".utf8)
    while index < template.endIndex {
      if hasPrefix(template[index...], userVariable) {
        result += user
        index += userVariable.count
      } else if hasPrefix(template[index...], homeVariable) {
        guard let home else { throw .needsHome }
        result += home
        index += homeVariable.count
      } else {
        result.append(template[index])
        index += 1
      }
    }
    guard result.first == UInt8(ascii: "/") else { throw .notAbsolute }
    return result
  }

  private static func hasPrefix(_ bytes: ArraySlice<UInt8>, _ prefix: [UInt8]) -> Bool {
    bytes.count >= prefix.count && bytes.prefix(prefix.count).elementsEqual(prefix)
  }

  private static func contains(_ bytes: [UInt8], _ part: [UInt8]) -> Bool {
    guard bytes.count >= part.count else { return false }
    for start in 0...(bytes.count - part.count) where hasPrefix(bytes[start...], part) { return true }
    return false
  }
}
