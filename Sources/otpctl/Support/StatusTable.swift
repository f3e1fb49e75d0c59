/// `status --all` for a person: one aligned row per user, then what the
/// marks mean, the files that cannot be used, and a summary. On a terminal
/// the header is bold and what asks for attention is coloured; anywhere
/// else the text is plain.
struct StatusTable {
  let listing: StoreListing
  let styled: Bool

  enum Style: String {
    case bold = "1"
    case red = "31"
    case yellow = "33"
  }

  struct Cell {
    var text: String
    var style: Style? = nil
  }

  static let header = ["USER", "TOKEN", "LAST SUCCESS", "FROM", "WRONG", "BACKOFF UNTIL", "SCRATCH", "DELIVERY"]
  /// The columns of counts, aligned on their last digit.
  static let rightAligned: Set<Int> = [4, 6]

  var text: String {
    guard !listing.entries.isEmpty else { return "No secret files in \(listing.directory)." }
    let rows = [Self.header.map { Cell(text: $0, style: .bold) }]
      + listing.entries.map(row)
    var lines = layout(rows)
    lines.append("")
    lines += notes
    return lines.joined(separator: "\n")
  }

  private func row(_ entry: StoreEntry) -> [Cell] {
    guard let status = entry.status else {
      return [Cell(text: entry.user), Cell(text: "UNUSABLE", style: .red)] + Array(repeating: Cell(text: "-"), count: 6)
    }
    let last = status.lastSuccess
    var lastText = "-"
    if let time = last?.time { lastText = (last?.timeSource == .usedStep ? "~" : "") + TimeText.local(time) }
    var backoff = Cell(text: "-")
    if let end = status.backoff { backoff = Cell(text: TimeText.local(end.time) + (end.isEstimate ? "*" : ""), style: .red) }
    let scratch = status.file.scratchCodes.count
    return [
      Cell(text: status.user), Cell(text: status.tokenSummary), Cell(text: lastText),
      Cell(text: last?.hostText ?? "-"),
      Cell(text: "\(status.failures)", style: status.failures > 0 ? .yellow : nil),
      backoff,
      Cell(text: "\(scratch)", style: scratch == 0 ? .yellow : nil),
      Cell(text: status.file.delivery?.maskedText ?? "-"),
    ]
  }

  /// Columns as wide as their widest cell, two spaces apart; no trailing
  /// spaces. Widths count characters, not escape sequences.
  private func layout(_ rows: [[Cell]]) -> [String] {
    let widths = rows[0].indices.map { column in rows.map { $0[column].text.count }.max() ?? 0 }
    return rows.map { cells in
      var line = ""
      for (column, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[column] - cell.text.count)
        let isLast = column == cells.count - 1
        var text = Self.rightAligned.contains(column) ? padding + cell.text : cell.text + (isLast ? "" : padding)
        if styled, let style = cell.style { text = paint(text, style) }
        line += (column == 0 ? "" : "  ") + text
      }
      return line
    }
  }

  private func paint(_ text: String, _ style: Style) -> String {
    "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
  }

  /// What the marks mean (only those used), the unusable files with
  /// their errors, and a summary line.
  private var notes: [String] {
    let statuses = listing.entries.compactMap(\.status)
    var lines: [String] = []
    if statuses.contains(where: { $0.lastSuccess?.timeSource == .usedStep }) {
      lines.append("~ about: the time of the newest used code (DISALLOW_REUSE), within the code window.")
    }
    if statuses.contains(where: { $0.backoff?.isEstimate == true }) {
      lines.append(
        "* the file has no BACKOFF_UNTIL: computed with the default backoff= options, which the stack may not use.")
    }
    let unusable = listing.entries.filter { $0.error != nil }
    if !unusable.isEmpty {
      if !lines.isEmpty { lines.append("") }
      lines.append("Secret files that cannot be used:")
      for entry in unusable {
        let message = entry.error?.message.split(separator: "\n").first.map(String.init) ?? ""
        lines.append("  \(entry.user): \(message)")
      }
    }
    if !lines.isEmpty { lines.append("") }
    let count = listing.entries.count
    var summary = "\(count) secret file\(count == 1 ? "" : "s") in \(listing.directory) at "
    summary += "\(TimeText.local(listing.now)) \(TimeText.zone(at: listing.now))"
    let counts: [(count: Int, what: String)] = [
      (statuses.filter { $0.backoff != nil }.count, "in a back-off"),
      (statuses.filter { $0.failures > 0 }.count, "with wrong codes"),
      (statuses.filter { $0.file.scratchCodes.isEmpty }.count, "without scratch codes"),
      (unusable.count, "unusable"),
    ]
    let facts = counts.filter { $0.count > 0 }.map { "\($0.count) \($0.what)" }
    summary += facts.isEmpty ? "." : ": " + facts.joined(separator: ", ") + "."
    lines.append(summary)
    return lines
  }
}
