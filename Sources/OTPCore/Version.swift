/// The one version number of pam_otp: the module's debug log line,
/// `otpctl --version` and the package all take it from here.
public enum PAMOTPVersion {
  public static let text = "0.9.0"
}
