/// What the sanitizers report in Swift's own test runners and Foundation
/// rather than in pam_otp, so that a sanitizer run of these tests fails
/// only for pam_otp's code. The runtimes look these hooks up by name; in a
/// build without sanitizers nothing calls them.
///
/// LeakSanitizer: XCTest's runner keeps its (empty) suite alive at exit, and
/// Foundation's Process now and then leaks a weak reference (Shell and
/// ExternalTool run useradd, oathtool and others through it).
@_cdecl("__lsan_default_suppressions")
func lsanDefaultSuppressions() -> UnsafeRawPointer {
  UnsafeRawPointer(lsanSuppressions.utf8Start)
}

private let lsanSuppressions: StaticString = """
  leak:libXCTest.so
  leak:Foundation7ProcessC3run

  """
