import CPAM

// The two symbols libpam looks up (exports.map exports nothing else). Each
// decodes its arguments and hands over to Swift; no input can reach a trap.

@_cdecl("pam_sm_authenticate")
public func pam_sm_authenticate(
  _ handle: OpaquePointer?, _ flags: Int32, _ argc: Int32,
  _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  guard let handle else { return PAM_SERVICE_ERR }
  let pam = PAMHandle(handle, flags: flags)
  return Login.run(pam, arguments: ModuleArguments(argc, argv)).code
}

/// Nothing to establish: a one-time password grants no credentials.
@_cdecl("pam_sm_setcred")
public func pam_sm_setcred(
  _ handle: OpaquePointer?, _ flags: Int32, _ argc: Int32,
  _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAM_SUCCESS
}

/// The module's arguments as bytes; a null entry is skipped. At most
/// `limit` are read, and more than that is a configuration error.
struct ModuleArguments {
  static let limit = 256

  let values: [[UInt8]]
  let wereCut: Bool

  init(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?) {
    var values: [[UInt8]] = []
    if let argv, argc > 0 {
      for index in 0..<Int(min(argc, Int32(Self.limit))) {
        guard let argument = argv[index] else { continue }
        values.append(PAMHandle.bytes(of: argument))
      }
    }
    self.values = values
    self.wereCut = argc > Int32(Self.limit)
  }
}
