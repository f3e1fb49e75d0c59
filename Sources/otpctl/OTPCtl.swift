import ArgumentParser
import OTPCore

@main
struct OTPCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "otpctl",
    abstract: "Enrol users for pam_otp and manage their one-time password secrets.",
    discussion: """
      Secrets live in /var/lib/pam_otp/USER (root only) unless --secret-file names
      another file, such as GA's ~/.google_authenticator.

      Exit codes: 0 success; 1 code refused (verify) or confirmation failed;
      64 usage error; 65 malformed or unsafe secret file; 66 not enrolled;
      67 unknown user; 73 a secret file exists already (use --force);
      74 input/output error; 77 permission denied.
      """,
    version: PAMOTPVersion.text,
    subcommands: [Enroll.self, Code.self, Verify.self, URI.self, QR.self, Status.self, Deliver.self, Unlock.self, Revoke.self]
  )
}
