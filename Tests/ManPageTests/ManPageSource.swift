import Foundation

/// A manual page's source under scripts/man/, read as roff: the tags of the
/// .TP/.TQ entries in one section, which is where the pages list options
/// and exit codes.
struct ManPageSource {
  let lines: [Substring]

  static func read(_ name: String) throws -> ManPageSource {
    let checkout = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let text = try String(contentsOf: checkout.appendingPathComponent("scripts/man/\(name)"), encoding: .utf8)
    return ManPageSource(lines: text.split(separator: "\n", omittingEmptySubsequences: false))
  }

  /// The first word of each entry's tag line (`.B nullok`, `.BI secret= path`,
  /// `.B 64`) in section TITLE, with roff's `\-` read as `-` and anything from
  /// `=` on dropped: "nullok", "secret", "64".
  func entries(inSection title: String) -> Set<String> {
    var result: Set<String> = []
    var inSection = false
    var previous: Substring = ""
    for line in lines {
      if line.hasPrefix(".SH ") {
        inSection = line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) == title
      } else if inSection, previous == ".TP" || previous == ".TQ",
        line.hasPrefix(".B ") || line.hasPrefix(".BI ")
      {
        let words = line.split(separator: " ")
        if words.count > 1 {
          let tag = words[1].replacingOccurrences(of: "\\-", with: "-")
          result.insert(String(tag.prefix { $0 != "=" }))
        }
      }
      previous = line
    }
    return result
  }
}
