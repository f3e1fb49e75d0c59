/// The version of pam_otp: the module, otpctl and the Debian package all
/// carry this one number. scripts/ read it from this line, so keep the
/// form `static let text = "X.Y.Z"`.
public enum PAMOTPVersion {
  public static let text = "0.9.0"
}
