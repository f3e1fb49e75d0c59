import ArgumentParser
import OTPCore

struct URI: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "uri", abstract: "Print a user's otpauth:// URI (it holds the secret).")

  @OptionGroup var target: TargetOptions
  @OptionGroup var names: URIOptions

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(target)
      let token = try target.readSecretFile().selectToken(names.token)
      print(Enrolment.uri(for: token, issuer: names.issuer ?? Enrolment.hostName, label: names.label ?? target.user.nameText).text)
    }
  }
}

struct QR: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "qr", abstract: "Show a user's QR code again, on the terminal or as a PNG.")

  @OptionGroup var target: TargetOptions
  @OptionGroup var names: URIOptions

  @Option(help: ArgumentHelp("Write a PNG file instead of printing.", valueName: "file"))
  var png: String?

  func run() throws {
    try reportingErrors {
      let target = try Target.resolve(target)
      let token = try target.readSecretFile().selectToken(names.token)
      let uri = Enrolment.uri(for: token, issuer: names.issuer ?? Enrolment.hostName, label: names.label ?? target.user.nameText).text
      let code = try QRCode(encoding: uri)
      if let png {
        try AtomicFile.write(try code.pngData(), to: png)
      } else {
        print(code.terminalText())
      }
    }
  }
}
