#if canImport(Glibc)
import Glibc
#endif

enum Terminal {
  static func error(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    writeAll(line, to: STDERR_FILENO)
  }

  static var stdinIsTerminal: Bool { isatty(0) == 1 }

  /// Reads one line from standard input, prompting on stderr when a person
  /// is typing.
  static func readLine(prompt: String) -> String? {
    if stdinIsTerminal { writeAll(prompt, to: STDERR_FILENO) }
    return Swift.readLine(strippingNewline: true)
  }

  /// Unbuffered, straight to the descriptor (as stderr should be), retrying
  /// short writes and interrupts.
  private static func writeAll(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return }
      bytes = bytes.dropFirst(count)
    }
  }
}
