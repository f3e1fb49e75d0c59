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

  /// Whether standard output may carry escape sequences (bold, colour): a
  /// terminal, unless NO_COLOR is set (no-color.org) or TERM says it
  /// cannot show them. Anything else (a pipe, a file) gets plain text.
  static var stdoutIsStyled: Bool {
    guard isatty(1) == 1, getenv("NO_COLOR").map({ $0.pointee == 0 }) ?? true else { return false }
    guard let term = getenv("TERM").map({ String(cString: $0) }) else { return false }
    return !term.isEmpty && term != "dumb"
  }

  /// Asks a yes-or-no question on the terminal: `y` or `yes` (any case)
  /// is yes; anything else, the end of input included, is no.
  static func confirm(_ question: String) -> Bool {
    guard let answer = readLine(prompt: question + " [y/N] ") else {
      writeAll("\n", to: STDERR_FILENO)
      return false
    }
    let words = answer.split { $0 == " " || $0 == "\t" || $0 == "\r" }.map { $0.lowercased() }
    return words == ["y"] || words == ["yes"]
  }

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

