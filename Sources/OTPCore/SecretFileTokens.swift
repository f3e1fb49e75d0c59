/// A user's tokens: the primary (in GA's layout) and the `" TOKEN` lines.
/// Every change goes through these methods, so the rules hold for the CLI,
/// the imports and the module alike: names valid and unique, at most
/// `OTPToken.maximumCount`, always one token left, and a primary that is
/// active (GA's module would accept its codes either way).
extension SecretFile {
  public enum TokenError: Error, Sendable {
    case invalidName(String)
    case duplicateName(String)
    case tooMany
    case notFound(String)
    /// Removing it would leave no token (the CLI removes the file instead).
    case lastToken(String)
    /// Removing the primary needs an active token to take its place.
    case noActiveSuccessor(String)
    /// Only the primary may be without an app (codes by delivery only).
    case noCodes(String)

    public var description: String {
      switch self {
      case .invalidName(let name):
        "invalid token name \"\(ASCII.printable(Array(name.utf8)))\": 1 to \(OTPToken.maximumNameLength) of a-z A-Z 0-9 . _ -, starting with a letter or digit"
      case .duplicateName(let name): "there is a token named \(name) already"
      case .tooMany: "a user holds at most \(OTPToken.maximumCount) tokens"
      case .notFound(let name): "no token named \(ASCII.printable(Array(name.utf8)))"
      case .lastToken(let name): "\(name) is the last token"
      case .noActiveSuccessor(let name):
        "\(name) is the last active token (the others await confirmation)"
      case .noCodes(let name): "token \(name) has no codes (TOTP or HOTP)"
      }
    }
  }

  /// Every token, the primary first.
  public var tokens: [OTPToken] { [primary] + others }

  public func token(named name: String) -> OTPToken? {
    tokens.first { $0.isNamed(name) }
  }

  /// The index in `tokens` of the token named `name`.
  public func tokenIndex(named name: String) -> Int? {
    tokens.firstIndex { $0.isNamed(name) }
  }

  /// The token at `index` of `tokens`, or nil.
  public func token(at index: Int) -> OTPToken? {
    index == 0 ? primary : others.indices.contains(index - 1) ? others[index - 1] : nil
  }

  /// Adds a further token (after the others). Its state comes with it:
  /// an import keeps the used steps and counter it brings.
  public mutating func addToken(_ token: OTPToken) throws(TokenError) {
    guard OTPToken.isValidName(token.name) else { throw .invalidName(token.name) }
    guard self.token(named: token.name) == nil else { throw .duplicateName(token.name) }
    guard tokens.count < OTPToken.maximumCount else { throw .tooMany }
    guard token.mode != .scratchCodesOnly else { throw .noCodes(token.name) }
    others.append(token)
  }

  /// Removes a token. Removing the primary moves the first active other
  /// token into GA's layout.
  public mutating func removeToken(named name: String) throws(TokenError) {
    guard let index = tokenIndex(named: name) else { throw .notFound(name) }
    guard index == 0 else {
      others.remove(at: index - 1)
      return
    }
    guard !others.isEmpty else { throw .lastToken(name) }
    guard let successor = others.firstIndex(where: { $0.isActive }) else { throw .noActiveSuccessor(name) }
    primary = others.remove(at: successor)
  }

  public mutating func renameToken(_ name: String, to newName: String) throws(TokenError) {
    guard let index = tokenIndex(named: name) else { throw .notFound(name) }
    guard OTPToken.isValidName(newName) else { throw .invalidName(newName) }
    guard OTPToken.sameName(newName, name) || token(named: newName) == nil else { throw .duplicateName(newName) }
    modifyToken(at: index) { $0.name = newName }
  }

  /// Changes the token at `index` of `tokens` (settings, state, activation);
  /// false when there is none. What would break the rules above is not
  /// taken: a name that is invalid or taken, an inactive primary, a further
  /// token without codes.
  @discardableResult
  public mutating func modifyToken(at index: Int, _ body: (inout OTPToken) -> Void) -> Bool {
    guard let old = token(at: index) else { return false }
    var token = old
    body(&token)
    let clash = tokens.indices.contains { $0 != index && tokens[$0].isNamed(token.name) }
    if !OTPToken.isValidName(token.name) || clash { token.name = old.name }
    if index == 0 {
      token.isActive = true
      primary = token
    } else {
      if token.mode == .scratchCodesOnly { token.mode = old.mode }
      others[index - 1] = token
    }
    return true
  }
}
