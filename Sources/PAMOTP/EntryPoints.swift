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
  return Authentication.run(pam, arguments: ModuleArguments.decode(argc, argv)).code
}

/// Nothing to establish: a one-time password grants no credentials.
@_cdecl("pam_sm_setcred")
public func pam_sm_setcred(
  _ handle: OpaquePointer?, _ flags: Int32, _ argc: Int32,
  _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAM_SUCCESS
}

enum ModuleArguments {
  /// The module's arguments as bytes; a null entry is skipped.
  static func decode(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> [[UInt8]] {
    guard let argv, argc > 0 else { return [] }
    var arguments: [[UInt8]] = []
    for index in 0..<Int(min(argc, 256)) {
      guard let argument = argv[index] else { continue }
      arguments.append(PAMHandle.bytes(of: argument))
    }
    return arguments
  }
}
