import CPNG
import CQRencode
import OTPCore

/// A QR code symbol made by libqrencode (a well-kept encoder; hand-writing
/// one would be a place for bugs that only a phone camera finds).
struct QRCode {
  /// Rows of modules, true for dark.
  let modules: [[Bool]]

  var width: Int { modules.count }

  init(encoding text: String) throws(CLIError) {
    // Error correction M (15%), byte mode, case-sensitive: what phone apps read best.
    guard let symbol = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
      throw CLIError(.dataError, "the URI is too long for a QR code")
    }
    defer { QRcode_free(symbol) }
    let width = Int(symbol.pointee.width)
    var rows: [[Bool]] = []
    for y in 0..<width {
      rows.append((0..<width).map { x in symbol.pointee.data[y * width + x] & 1 == 1 })
    }
    modules = rows
  }

  /// Dark at (x, y), with a light quiet zone around the symbol.
  func isDark(_ x: Int, _ y: Int) -> Bool {
    guard x >= 0, y >= 0, x < width, y < width else { return false }
    return modules[y][x]
  }

  /// The symbol in UTF-8 half blocks, two module rows per text line. Colours
  /// are set explicitly (black on white) so the code reads the same on dark
  /// and light terminals, and scanners see dark modules on a light ground.
  func terminalText(quietZone: Int = 2) -> String {
    let black = "\u{1B}[30;47m"  // black foreground on white background
    let reset = "\u{1B}[0m"
    var lines: [String] = []
    var y = -quietZone
    while y < width + quietZone {
      var line = black
      for x in -quietZone..<(width + quietZone) {
        switch (isDark(x, y), isDark(x, y + 1)) {
        case (true, true): line += "█"
        case (true, false): line += "▀"
        case (false, true): line += "▄"
        case (false, false): line += " "
        }
      }
      lines.append(line + reset)
      y += 2
    }
    return lines.joined(separator: "\n")
  }

  /// An 8-bit greyscale PNG through libpng's simplified API, with the
  /// 4-module quiet zone the standard asks for. The image holds the secret:
  /// the pixels are wiped, and the PNG comes back in bytes that wipe themselves.
  func pngData(scale: Int = 8, quietZone: Int = 4) throws(CLIError) -> SensitiveBytes {
    let side = (width + 2 * quietZone) * scale
    var pixels = [UInt8](repeating: 255, count: side * side)
    defer { SensitiveBytes.wipe(&pixels) }
    for y in 0..<width {
      for x in 0..<width where modules[y][x] {
        for dy in 0..<scale {
          let row = ((y + quietZone) * scale + dy) * side
          for dx in 0..<scale { pixels[row + (x + quietZone) * scale + dx] = 0 }
        }
      }
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(side)
    image.height = UInt32(side)
    image.format = UInt32(PNG_FORMAT_GRAY)
    defer { png_image_free(&image) }
    var size = 0
    guard png_image_write_to_memory(&image, nil, &size, 0, pixels, Int32(side), nil) != 0, size > 0 else {
      throw CLIError(.ioError, "cannot encode the PNG")
    }
    let png = SensitiveBytes(capacity: size)
    var written: Int32 = 0
    png.fill { buffer in
      written = png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, pixels, Int32(side), nil)
      return written != 0 ? size : 0
    }
    guard written != 0 else { throw CLIError(.ioError, "cannot encode the PNG") }
    return png
  }
}
