/// An `otpauth://` URI of Google's Key Uri Format: what an authenticator app
/// scans from a QR code.
///
///     otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer[&algorithm=..&digits=..&period=..]
///     otpauth://hotp/Issuer:account?secret=BASE32&issuer=Issuer&counter=N
///
/// Non-default algorithm, digits and period are written only when set, since
/// many apps ignore them and the defaults (SHA1, 6, 30 s) work everywhere.
public struct OTPAuthURI {
  public enum Kind: Equatable, Sendable {
    case totp(period: Int)
    case hotp(counter: UInt64)
  }

  public var kind: Kind
  public var issuer: String?
  public var account: String
  public var secret: SensitiveBytes
  public var algorithm: HashAlgorithm
  public var digits: Int

  public init(
    kind: Kind, issuer: String?, account: String, secret: SensitiveBytes,
    algorithm: HashAlgorithm = .sha1, digits: Int = 6
  ) {
    self.kind = kind
    self.issuer = issuer
    self.account = account
    self.secret = secret
    self.algorithm = algorithm
    self.digits = digits
  }

  /// The URI text. It holds the secret: show it to the user, never log it.
  /// The bytes it is built in are reserved at their full size up front
  /// (growing would free copies of the secret) and wiped afterwards.
  public var text: String {
    let labels = (issuer.map { 2 * 3 * $0.utf8.count } ?? 0) + 3 * account.utf8.count
    var uri: [UInt8] = []
    uri.reserveCapacity(160 + labels + Base32.encodedLength(of: secret.count))
    defer { SensitiveBytes.wipe(&uri) }
    uri += Array("otpauth://".utf8)
    switch kind {
    case .totp: uri += Array("totp/".utf8)
    case .hotp: uri += Array("hotp/".utf8)
    }
    if let issuer, !issuer.utf8.isEmpty {
      uri += PercentEncoding.encode(issuer.utf8) + [UInt8(ascii: ":")]
    } else if account.utf8.contains(UInt8(ascii: ":")) {
      // A reader may take an encoded colon for the issuer separator; an
      // empty issuer before a literal one keeps the account whole.
      uri.append(UInt8(ascii: ":"))
    }
    uri += PercentEncoding.encode(account.utf8)
    uri += Array("?secret=".utf8)
    secret.withUnsafeBytes { key in Base32.encode(key) { symbol in uri.append(symbol) } }
    if let issuer, !issuer.utf8.isEmpty {
      uri += Array("&issuer=".utf8) + PercentEncoding.encode(issuer.utf8)
    }
    if algorithm != .sha1 { uri += Array("&algorithm=\(algorithm.name)".utf8) }
    if digits != 6 { uri += Array("&digits=".utf8) + Decimal.format(UInt64(max(digits, 0))) }
    switch kind {
    case .totp(let period) where period != 30:
      uri += Array("&period=".utf8) + Decimal.format(UInt64(max(period, 0)))
    case .totp: break
    case .hotp(let counter): uri += Array("&counter=".utf8) + Decimal.format(counter)
    }
    return ASCII.string(uri)
  }
}

extension OTPAuthURI {
  public enum ParseError: Error, Equatable, Sendable {
    case notOTPAuth
    case unknownType
    case missingLabel
    case badEscape(part: Part)
    case missingSecret
    case invalidSecret(Base32.DecodingError)
    case invalidParameter(Parameter)
    case missingCounter
    case issuerMismatch

    public enum Part: Sendable { case label, query }

    public enum Parameter: Sendable {
      case algorithm, digits, period, counter
      var name: String {
        switch self {
        case .algorithm: "algorithm"
        case .digits: "digits"
        case .period: "period"
        case .counter: "counter"
        }
      }
    }

    public var description: String {
      switch self {
      case .notOTPAuth: "not an otpauth:// URI"
      case .unknownType: "the type must be totp or hotp"
      case .missingLabel: "the URI has no account label"
      case .badEscape(let part): "bad percent-escape in the \(part == .label ? "label" : "query")"
      case .missingSecret: "the URI has no secret parameter"
      case .invalidSecret(let reason): "the secret is not valid: \(reason.description)"
      case .invalidParameter(let parameter): "the \(parameter.name) parameter is not valid"
      case .missingCounter: "an hotp URI needs a counter parameter"
      case .issuerMismatch: "the issuer parameter differs from the issuer in the label"
      }
    }
  }

  /// Parses a URI as apps read it. The label's issuer prefix may be separated
  /// by `:` or `%3A`; the `issuer` parameter wins when only it is present.
  public init(parsing text: String) throws(ParseError) {
    // One copy of the text, wiped when parsing ends: it holds the secret.
    // The slices of it live only inside the parser, so the wipe finds the
    // copy unshared.
    var bytes = Array(text.utf8)
    defer { SensitiveBytes.wipe(&bytes) }
    try self.init(parsingBytes: bytes)
  }

  private init(parsingBytes bytes: [UInt8]) throws(ParseError) {
    let scheme = Array("otpauth://".utf8)
    guard bytes.count > scheme.count, ASCII.uppercased(bytes.prefix(scheme.count)) == ASCII.uppercased(scheme)
    else { throw .notOTPAuth }
    let rest = bytes[scheme.count...]
    let queryStart = rest.firstIndex(of: UInt8(ascii: "?")) ?? rest.endIndex
    let fragmentStart = rest.firstIndex(of: UInt8(ascii: "#")) ?? rest.endIndex
    guard fragmentStart >= queryStart else { throw .missingSecret }
    let pathPart = rest[..<queryStart]
    let queryPart = queryStart < fragmentStart ? rest[(queryStart + 1)..<fragmentStart] : []
    guard let slash = pathPart.firstIndex(of: UInt8(ascii: "/")) else { throw .missingLabel }
    let type = ASCII.uppercased(pathPart[..<slash])
    let rawLabel = pathPart[(slash + 1)...]
    guard !rawLabel.isEmpty else { throw .missingLabel }

    var labelIssuer: [UInt8]? = nil
    var account: [UInt8]
    if let colon = rawLabel.firstIndex(of: UInt8(ascii: ":")) {
      guard let issuer = PercentEncoding.decode(rawLabel[..<colon]),
        let name = PercentEncoding.decode(rawLabel[(colon + 1)...])
      else { throw .badEscape(part: .label) }
      labelIssuer = issuer
      account = name
    } else {
      guard let label = PercentEncoding.decode(rawLabel) else { throw .badEscape(part: .label) }
      if let colon = label.firstIndex(of: UInt8(ascii: ":")) {
        labelIssuer = Array(label[..<colon])
        account = Array(label[(colon + 1)...])
      } else {
        account = label
      }
    }
    // Apps tolerate a space after the colon ("Issuer: alice").
    while account.first == ASCII.space { account.removeFirst() }
    guard !account.isEmpty else { throw .missingLabel }

    var parameters = QueryParameters()
    try parameters.read(queryPart)
    // Taken out of `parameters`, so that the one copy is the one wiped.
    guard var secretText = parameters.secret.take() else { throw .missingSecret }
    defer { SensitiveBytes.wipe(&secretText) }
    var secretBytes: [UInt8]
    do { secretBytes = try Base32.decode(secretText) } catch { throw .invalidSecret(error) }
    guard !secretBytes.isEmpty else { throw .missingSecret }

    if let parameterIssuer = parameters.issuer, let labelIssuer, parameterIssuer != labelIssuer {
      throw .issuerMismatch
    }
    let issuer = (parameters.issuer ?? labelIssuer).flatMap { $0.isEmpty ? nil : $0 }

    switch type {
    case Array("TOTP".utf8): kind = .totp(period: parameters.period ?? 30)
    case Array("HOTP".utf8):
      guard let counter = parameters.counter else { throw .missingCounter }
      kind = .hotp(counter: counter)
    default: throw .unknownType
    }
    self.issuer = issuer.map { ASCII.string($0) }
    self.account = ASCII.string(account)
    self.secret = SensitiveBytes(consuming: &secretBytes)
    self.algorithm = parameters.algorithm ?? .sha1
    self.digits = parameters.digits ?? 6
  }
}

/// The query of an otpauth URI: `name=value` pairs split on `&`.
private struct QueryParameters {
  var secret: [UInt8]?
  var issuer: [UInt8]?
  var algorithm: HashAlgorithm?
  var digits: Int?
  var period: Int?
  var counter: UInt64?

  mutating func read(_ query: ArraySlice<UInt8>) throws(OTPAuthURI.ParseError) {
    for pair in query.split(separator: UInt8(ascii: "&")) {
      let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
      let name = ASCII.uppercased(pair[..<equals])
      let rawValue = equals < pair.endIndex ? pair[(equals + 1)...] : []
      guard let value = PercentEncoding.decode(rawValue) else { throw .badEscape(part: .query) }
      switch name {
      case Array("SECRET".utf8): secret = value
      case Array("ISSUER".utf8): issuer = value
      case Array("ALGORITHM".utf8):
        guard let parsed = HashAlgorithm(name: value) else { throw .invalidParameter(.algorithm) }
        algorithm = parsed
      case Array("DIGITS".utf8):
        guard let parsed = Decimal.parse(value, maxDigits: 2), OneTimePassword.digitRange.contains(Int(parsed))
        else { throw .invalidParameter(.digits) }
        digits = Int(parsed)
      case Array("PERIOD".utf8):
        guard let parsed = Decimal.parse(value, maxDigits: 3), OneTimePassword.periodRange.contains(Int(parsed))
        else { throw .invalidParameter(.period) }
        period = Int(parsed)
      case Array("COUNTER".utf8):
        guard let parsed = Decimal.parse(value) else { throw .invalidParameter(.counter) }
        counter = parsed
      default: continue  // Apps add their own parameters (image, color); they do not matter here.
      }
    }
  }
}
