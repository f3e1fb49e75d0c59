import Foundation

enum Terminal {
  static func error(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(Data(line.utf8))
  }

  static var stdinIsTerminal: Bool { isatty(0) == 1 }

  /// Reads one line from standard input, prompting on stderr when a person
  /// is typing.
  static func readLine(prompt: String) -> String? {
    if stdinIsTerminal { FileHandle.standardError.write(Data(prompt.utf8)) }
    return Swift.readLine(strippingNewline: true)
  }
}
