import Foundation
import Testing

/// The module exports the two entry points libpam looks up and nothing
/// else, so it cannot clash with its host or with another module.
struct ExportedSymbolTests {
  static let entryPoints: Set<String> = ["pam_sm_authenticate", "pam_sm_setcred"]

  @Test func dlsymFindsBothEntryPoints() throws {
    let path = try ModuleUnderTest.requirePath()
    let handle = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL), "dlopen: \(String(cString: dlerror()))")
    defer { dlclose(handle) }
    for name in Self.entryPoints.sorted() {
      #expect(dlsym(handle, name) != nil, "\(name) not found")
    }
    #expect(dlsym(handle, "pam_sm_acct_mgmt") == nil, "only auth is provided")
  }

  /// `nm -D --defined-only`: a lower-case type letter is a local symbol,
  /// except `i`, `u`, `v` and `w` (GNU indirect, unique global, weak).
  @Test func dynamicSymbolTableDefinesNoOtherGlobalOrWeakSymbol() throws {
    let path = try ModuleUnderTest.requirePath()
    let nm = try Shell.run("/usr/bin/nm", ["-D", "--defined-only", path])
    try #require(nm.status == 0, "nm failed (binutils installed?): \(nm.standardError)")
    var exported: Set<String> = []
    for line in nm.standardOutput.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 3, let type = fields[fields.count - 2].first else { continue }
      let isGlobal = type.isUppercase || "iuvw".contains(type)
      if isGlobal { exported.insert(String(fields[fields.count - 1]).components(separatedBy: "@")[0]) }
    }
    #expect(exported == Self.entryPoints)
  }
}
