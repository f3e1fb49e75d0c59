/// A QR code drawn in text: two rows of modules per line in Unicode half
/// blocks, with a quiet zone. No colour codes (ssh shows them as `\033`),
/// so the terminal's own colours decide: for a dark background (the
/// default) the light modules are drawn, for a light one the dark ones.
public enum HalfBlockQR {
  public static let quietZone = 4

  /// `modules`: width × width bytes, row by row, bit 0 set for dark.
  public static func lines(modules: [UInt8], width: Int, lightTerminal: Bool) -> [String] {
    guard width > 0, width <= 177, modules.count >= width * width else { return [] }
    func drawn(_ x: Int, _ y: Int) -> Bool {
      let dark = x >= 0 && y >= 0 && x < width && y < width && modules[y * width + x] & 1 == 1
      return lightTerminal ? dark : !dark
    }
    var lines: [String] = []
    var y = -quietZone
    while y < width + quietZone {
      var line: [UInt8] = []
      for x in -quietZone..<(width + quietZone) {
        switch (drawn(x, y), drawn(x, y + 1)) {
        case (true, true): line += [0xE2, 0x96, 0x88]  // █
        case (true, false): line += [0xE2, 0x96, 0x80]  // ▀
        case (false, true): line += [0xE2, 0x96, 0x84]  // ▄
        case (false, false): line.append(UInt8(ascii: " "))
        }
      }
      lines.append(String(decoding: line, as: UTF8.self))
      y += 2
    }
    return lines
  }
}
