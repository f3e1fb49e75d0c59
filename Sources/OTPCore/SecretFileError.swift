/// Why a secret file could not be read: the line and the reason. It never
/// quotes the secret itself.
public struct SecretFileError: Error, Equatable, Sendable {
  public enum Reason: Equatable, Sendable {
    case empty
    case containsNUL
    case invalidSecret(Base32.DecodingError)
    case secretTooShort(bits: Int)
    /// The option's name as written (bytes: it came from the file).
    case unknownOption([UInt8])
    case duplicateOption(OptionKey)
    case invalidValue(OptionKey)
    case conflictingModes
    case invalidScratchCode
    case tooManyScratchCodes
    case duplicateScratchCode
    case lineTooLong
    case tooManyTokens
    case duplicateTokenName([UInt8])
  }

  /// 1-based line number; 0 for the file as a whole.
  public let line: Int
  public let reason: Reason

  public init(line: Int, _ reason: Reason) {
    self.line = line
    self.reason = reason
  }

  public var description: String {
    let place = line > 0 ? "line \(line): " : ""
    switch reason {
    case .empty: return "\(place)the file is empty"
    case .containsNUL: return "\(place)the file contains a NUL byte"
    case .invalidSecret(let error): return "\(place)the secret is not valid: \(error.description)"
    case .secretTooShort(let bits):
      return "\(place)the secret has \(bits) bits; at least \(SecretFile.minimumSecretBytes * 8) are required"
    case .unknownOption(let name): return "\(place)unknown option \"\(ASCII.printable(name))\""
    case .duplicateOption(let key): return "\(place)option \(key.name) appears twice"
    case .invalidValue(let key): return "\(place)\(key.name): expected \(key.expectedValue)"
    case .conflictingModes: return "\(place)both TOTP_AUTH and HOTP_COUNTER are set"
    case .invalidScratchCode:
      return "\(place)not an option line (\" KEY VALUE\") nor a scratch code (8 digits, not starting with 0)"
    case .tooManyScratchCodes:
      return "\(place)more than \(SecretFile.maximumScratchCodes) scratch codes"
    case .duplicateScratchCode: return "\(place)the scratch code appears twice"
    case .lineTooLong: return "\(place)the line is longer than \(TokenLine.maximumLength) bytes"
    case .tooManyTokens: return "\(place)more than \(OTPToken.maximumCount) tokens"
    case .duplicateTokenName(let name): return "\(place)a second token named \(ASCII.printable(name))"
    }
  }
}
