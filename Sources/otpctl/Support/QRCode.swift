import CPNG
import CQRencode
#if canImport(Glibc)
import Glibc
#endif

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
  /// 4-module quiet zone the standard asks for.
  func pngData(scale: Int = 8, quietZone: Int = 4) throws(CLIError) -> [UInt8] {
    let side = (width + 2 * quietZone) * scale
    var pixels = [UInt8](repeating: 255, count: side * side)
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
    var size = 0
    guard png_image_write_to_memory(&image, nil, &size, 0, pixels, Int32(side), nil) != 0, size > 0 else {
      throw CLIError(.ioError, "cannot encode the PNG")
    }
    var output = [UInt8](repeating: 0, count: size)
    let written = output.withUnsafeMutableBytes { buffer in
      png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, pixels, Int32(side), nil)
    }
    png_image_free(&image)
    guard written != 0 else { throw CLIError(.ioError, "cannot encode the PNG") }
    return Array(output.prefix(size))
  }
}

enum PrivateFile {
  /// Writes a file only its owner can read (a QR code holds the secret):
  /// a new file beside the path, then a rename over it, so neither a symlink
  /// nor a hard link at the path can redirect or truncate another file.
  static func write(_ data: [UInt8], to path: String) throws(CLIError) {
    let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "./"
    // An unpredictable name, so no one can place a file there first.
    let suffix = try Enrolment.randomBytes(4).map { String($0, radix: 16) }.joined()
    let temporary = directory + ".otpctl-\(suffix).tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw failure(path, errno) }
    var ok = fchmod(descriptor, 0o600) == 0
    data.withUnsafeBytes { buffer in
      var offset = 0
      while ok, offset < buffer.count, let base = buffer.baseAddress {
        let count = Glibc.write(descriptor, base + offset, buffer.count - offset)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { ok = false } else { offset += count }
      }
    }
    ok = ok && fsync(descriptor) == 0
    let writeError = errno
    close(descriptor)
    guard ok else {
      unlink(temporary)
      throw failure(path, writeError)
    }
    var info = stat()
    if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
      unlink(temporary)
      throw CLIError(.ioError, "\(path): is a symbolic link; not writing through it")
    }
    guard rename(temporary, path) == 0 else {
      let renameError = errno
      unlink(temporary)
      throw failure(path, renameError)
    }
  }

  private static func failure(_ path: String, _ code: Int32) -> CLIError {
    CLIError(code == EACCES || code == EPERM ? .permission : .ioError, "\(path): cannot write (\(String(cString: strerror(code))))")
  }
}
