// libFuzzer target: the module's option parser and the secret= template.
// Arguments are the input split on NUL, as argv would deliver them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModuleOptions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = Array(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
  let arguments = input.split(separator: 0, omittingEmptySubsequences: false).map { Array($0) }
  if let options = try? ModuleOptions.parse(arguments) {
    _ = try? SecretPathTemplate.expand(options.secretTemplate, user: Array("alice".utf8), home: Array("/home/alice".utf8))
  }
  if let user = arguments.first, UserName.isValid(user) {
    let path = try? SecretPathTemplate.expand(input, user: user, home: arguments.last)
    if let path, path.first != UInt8(ascii: "/") { fatalError("expanded to a relative path") }
  }
  return 0
}
