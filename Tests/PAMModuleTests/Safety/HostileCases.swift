import CPAM
import Foundation
import Testing

/// The table: every hostile file, answer, name, item and module argument
/// the module must survive, with the result and the log reason for each.
extension HostileCase {
  static let all: [HostileCase] = files + contents + answers + conversations + userNames + items + arguments

  private static let unavailable = PAMStatus.authInfoUnavailable
  private static let refused = PAMStatus.authError
  private static let misconfigured = PAMStatus.serviceError

  /// The file or a directory on its path cannot be trusted.
  static let files: [HostileCase] = [
    HostileCase("secret file is a symlink to another user's file", unavailable, "unsafe secret file: is a symbolic link") {
      try $0.secrets.enrol("daemon", $0.token)
      try FileManager.default.createSymbolicLink(atPath: $0.file, withDestinationPath: "\($0.secrets.path)/daemon")
      return $0.attempt()
    },
    HostileCase("secret file is a symlink to /etc/shadow", unavailable, "unsafe secret file: is a symbolic link") {
      try FileManager.default.createSymbolicLink(atPath: $0.file, withDestinationPath: "/etc/shadow")
      return $0.attempt()
    },
    HostileCase("parent directory is a symlink", unavailable, "/link: unsafe directory: is a symbolic link") {
      let real = try $0.directory("real")
      try $0.secrets.write("real/nobody", $0.token.fileText)
      try FileManager.default.createSymbolicLink(atPath: "\($0.secrets.path)/link", withDestinationPath: real)
      return HostileAttempt(options: ["secret=\($0.secrets.path)/link/${USER}"], replies: [.answer($0.code)])
    },
    HostileCase("secret file has a second hard link", unavailable, "unsafe secret file: has 2 hard links") {
      try $0.enrol()
      try #require(link($0.file, "\($0.secrets.path)/copy") == 0)
      return $0.attempt()
    },
    HostileCase("secret file is group-writable", unavailable, "has mode 0620, more than the allowed 0600") {
      try $0.secrets.enrol("nobody", $0.token, mode: 0o620)
      return $0.attempt()
    },
    HostileCase("secret file is world-writable", unavailable, "has mode 0606, more than the allowed 0600") {
      try $0.secrets.enrol("nobody", $0.token, mode: 0o606)
      return $0.attempt()
    },
    HostileCase("secret file is group-readable", unavailable, "has mode 0640, more than the allowed 0600") {
      try $0.secrets.enrol("nobody", $0.token, mode: 0o640)
      return $0.attempt()
    },
    HostileCase("parent directory is world-writable", unavailable,
                "/open: unsafe directory: is writable by group or others (mode 0777)") {
      try $0.directory("open", mode: 0o777)
      try $0.secrets.write("open/nobody", $0.token.fileText)
      return HostileAttempt(options: ["secret=\($0.secrets.path)/open/${USER}"], replies: [.answer($0.code)])
    },
    HostileCase("parent directory is group-writable", unavailable,
                "/shared: unsafe directory: is writable by group or others (mode 0770)") {
      try $0.directory("shared", mode: 0o770)
      try $0.secrets.write("shared/nobody", $0.token.fileText)
      return HostileAttempt(options: ["secret=\($0.secrets.path)/shared/${USER}"], replies: [.answer($0.code)])
    },
    HostileCase("secret file is owned by another user", unavailable,
                "unsafe secret file: is owned by uid 1, expected uid 65534") {
      try $0.secrets.enrol("nobody", $0.token, owner: 1, group: 1)
      return $0.attempt()
    },
    HostileCase("parent directory is owned by another user", unavailable,
                "/theirs: unsafe directory: is owned by uid 1, neither root nor the user") {
      try $0.directory("theirs", owner: 1)
      try $0.secrets.write("theirs/nobody", $0.token.fileText)
      return HostileAttempt(options: ["secret=\($0.secrets.path)/theirs/${USER}"], replies: [.answer($0.code)])
    },
    HostileCase("secret file is a FIFO (no one writes: must not hang)", unavailable, "unsafe secret file: is not a regular file") {
      try #require(mkfifo($0.file, 0o600) == 0)
      return $0.attempt()
    },
    HostileCase("secret file is a character device like /dev/null", unavailable, "unsafe secret file: is not a regular file") {
      var null = stat()
      try #require(stat("/dev/null", &null) == 0)
      try #require(mknod($0.file, S_IFCHR | 0o600, null.st_rdev) == 0, "mknod: errno \(errno)")
      return $0.attempt()
    },
    HostileCase("secret file is a directory", unavailable, "unsafe secret file: is not a regular file") {
      try $0.directory("nobody")
      return $0.attempt()
    },
    HostileCase("secret file is over 64 KiB", unavailable, "unsafe secret file: is larger than 64 KiB") {
      try $0.secrets.write("nobody", $0.token.fileText + String(repeating: "\n", count: 64 * 1024))
      return $0.attempt()
    },
  ]

  /// The file is safe, but what is in it is not a valid secret file.
  static let contents: [HostileCase] = [
    HostileCase("secret file is empty", unavailable, "the file is empty") {
      try $0.writeRaw([])
      return $0.attempt()
    },
    HostileCase("NUL byte in the secret line", unavailable, "line 1: the file contains a NUL byte") {
      try $0.writeRaw(Array($0.token.base32.utf8.prefix(8)) + [0] + Array($0.token.fileText.utf8.dropFirst(8)))
      return $0.attempt()
    },
    HostileCase("NUL byte in an option line", unavailable, "line 2: the file contains a NUL byte") {
      try $0.writeRaw(Array(($0.token.base32 + "\n\" TOTP").utf8) + [0] + Array("_AUTH\n".utf8))
      return $0.attempt()
    },
    HostileCase("secret is not Base32", unavailable, "line 1: the secret is not valid") {
      try $0.secrets.write("nobody", "JBSWY3DPEHPK3PX1!\n\" TOTP_AUTH\n")
      return $0.attempt()
    },
    HostileCase("secret is under 80 bits", unavailable, "the secret has 40 bits; at least 80 are required") {
      try $0.secrets.write("nobody", "JBSWY3DP\n\" TOTP_AUTH\n")
      return $0.attempt()
    },
    HostileCase("WINDOW_SIZE 0", unavailable, "WINDOW_SIZE: expected a window of 1 to 100 codes") {
      try $0.enrol(extraLines: ["\" WINDOW_SIZE 0"])
      return $0.attempt()
    },
    HostileCase("WINDOW_SIZE 101", unavailable, "WINDOW_SIZE: expected a window of 1 to 100 codes") {
      try $0.enrol(extraLines: ["\" WINDOW_SIZE 101"])
      return $0.attempt()
    },
    HostileCase("STEP_SIZE 0", unavailable, "STEP_SIZE: expected a step of 1 to 300 seconds") {
      try $0.enrol(extraLines: ["\" STEP_SIZE 0"])
      return $0.attempt()
    },
    HostileCase("DIGITS 9", unavailable, "DIGITS: expected 6, 7 or 8") {
      try $0.enrol(extraLines: ["\" DIGITS 9"])
      return $0.attempt()
    },
    HostileCase("RATE_LIMIT 0 30", unavailable, "RATE_LIMIT: expected ATTEMPTS SECONDS") {
      try $0.enrol(extraLines: ["\" RATE_LIMIT 0 30"])
      return $0.attempt()
    },
    HostileCase("HOTP_COUNTER beyond 64 bits", unavailable, "HOTP_COUNTER: expected a counter from 0 to 9999999999999999999") {
      try $0.secrets.write("nobody", "\($0.token.base32)\n\" HOTP_COUNTER 99999999999999999999999\n")
      return $0.attempt()
    },
    HostileCase("ALGORITHM MD5", unavailable, "ALGORITHM: expected SHA1, SHA256 or SHA512") {
      try $0.enrol(extraLines: ["\" ALGORITHM MD5"])
      return $0.attempt()
    },
    HostileCase("duplicate option", unavailable, "option WINDOW_SIZE appears twice") {
      try $0.enrol(extraLines: ["\" WINDOW_SIZE 3", "\" WINDOW_SIZE 17"])
      return $0.attempt()
    },
    HostileCase("unknown option", unavailable, "unknown option %22NO_SUCH_OPTION%22") {
      try $0.enrol(extraLines: ["\" NO_SUCH_OPTION 1"])
      return $0.attempt()
    },
    HostileCase("both TOTP and HOTP", unavailable, "both TOTP_AUTH and HOTP_COUNTER are set") {
      try $0.enrol(extraLines: ["\" HOTP_COUNTER 1"])
      return $0.attempt()
    },
    HostileCase("a line that is neither option nor scratch code", unavailable, "not an option line") {
      try $0.enrol(extraLines: ["rm -rf /"])
      return $0.attempt()
    },
    HostileCase("duplicate scratch code", unavailable, "the scratch code appears twice") {
      try $0.enrol(extraLines: ["12345678", "12345678"])
      return $0.attempt()
    },
  ]

  /// What the user types: anything but a code is refused as not a code,
  /// without counting as a guess.
  static let answers: [HostileCase] = [
    HostileCase("empty answer", refused, "answer is not a code") { try $0.enrol(); return $0.attempt(answer: "") },
    HostileCase("answer is not digits", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: "abcdef")
    },
    HostileCase("answer is 1 MB of digits", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: String(repeating: "7", count: 1 << 20))
    },
    HostileCase("answer is 1 MB of letters", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: String(repeating: "A", count: 1 << 20))
    },
    HostileCase("answer has a NUL inside the code", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: String($0.code.prefix(3)) + "\0" + String($0.code.dropFirst(3)))
    },
    HostileCase("answer is format directives", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: "%n%s%s%n")
    },
    HostileCase("answer ends in a newline", refused, "answer is not a code") {
      try $0.enrol()
      return $0.attempt(answer: $0.code + "\n")
    },
    // A C string ends at its NUL: what follows never reaches the module.
    HostileCase("right code, then NUL and more digits", .success, "result=success method=totp") {
      try $0.enrol()
      return $0.attempt(answer: $0.code + "\0" + "999999")
    },
  ]

  /// The application's conversation misbehaves.
  static let conversations: [HostileCase] = [
    HostileCase("conversation returns no text for the prompt", refused, "answer is not a code") {
      try $0.enrol()
      return HostileAttempt(options: [$0.secrets.option], replies: [.noAnswer])
    },
    HostileCase("conversation returns no responses at all", refused, "answer is not a code") {
      try $0.enrol()
      return HostileAttempt(options: [$0.secrets.option], replies: [.noResponses])
    },
    HostileCase("conversation fails", .conversationError, "reason=\"conversation failed") {
      try $0.enrol()
      return HostileAttempt(options: [$0.secrets.option], replies: [.fail])
    },
    HostileCase("conversation will resume later", .incomplete, "conversation will resume") {
      try $0.enrol()
      return HostileAttempt(options: [$0.secrets.option], replies: [.again])
    },
  ]

  /// Login names as a client may send them: none reaches a path, and each
  /// is still asked for a code (no oracle), then refused.
  static let userNames: [HostileCase] = [
    HostileCase("user name with a slash", refused, "invalid user name") { scene in
      try scene.enrol()
      return HostileAttempt(options: [scene.secrets.option], user: "sub/nobody", replies: [.answer(scene.code)])
    },
    HostileCase("user name ..", refused, "invalid user name") {
      HostileAttempt(options: [$0.secrets.option], user: "..", replies: [.answer($0.code)])
    },
    HostileCase("user name starting with a dot", refused, "invalid user name") {
      HostileAttempt(options: [$0.secrets.option], user: ".nobody", replies: [.answer($0.code)])
    },
    HostileCase("user name with a newline", refused, "invalid user name") { scene in
      try scene.enrol()
      return HostileAttempt(options: [scene.secrets.option], user: "nobody\n", replies: [.answer(scene.code)])
    },
    HostileCase("user name with a space and a forged field", refused, "user=x%20result%3Dsuccess") {
      HostileAttempt(options: [$0.secrets.option], user: "x result=success", replies: [.answer($0.code)])
    },
    HostileCase("user name of 10 000 bytes", refused, "invalid user name") {
      HostileAttempt(options: [$0.secrets.option], user: String(repeating: "n", count: 10_000), replies: [.answer($0.code)])
    },
    HostileCase("empty user name", refused, "invalid user name") {
      HostileAttempt(options: [$0.secrets.option], user: "", replies: [.answer($0.code)])
    },
    HostileCase("user that does not exist", refused, "unknown user") {
      HostileAttempt(options: [$0.secrets.option], user: "pamotp-no-such-user", replies: [.answer($0.code)])
    },
    // GA looks every user up: a file at the path a name expands to does not
    // make the name an account.
    HostileCase("a name that is no account, with a root-owned file at its path", refused, "unknown user") { scene in
      try scene.secrets.enrol("pamotp-ghost", scene.token)
      return HostileAttempt(options: [scene.secrets.option], user: "pamotp-ghost", replies: [.answer(scene.code)])
    },
    // A file name holds at most 255 bytes: a longer name is refused as a
    // name, not met later as an error of the file system.
    HostileCase("user name of 255 bytes", refused, "unknown user") {
      HostileAttempt(options: [$0.secrets.option], user: String(repeating: "n", count: 255), replies: [.answer($0.code)])
    },
    HostileCase("user name of 256 bytes", refused, "invalid user name") {
      HostileAttempt(options: [$0.secrets.option], user: String(repeating: "n", count: 256), replies: [.answer($0.code)])
    },
  ]

  /// PAM items the application did not set, or set to anything.
  static let items: [HostileCase] = [
    HostileCase("no PAM_RHOST and no PAM_TTY", .success, "rhost=- tty=- result=success method=totp") {
      try $0.enrol()
      return $0.attempt()
    },
    HostileCase("PAM_RHOST and PAM_TTY with spaces and control characters", .success,
                "rhost=evil%20host%0A%22 tty=pts/0%1B[2J result=success") {
      try $0.enrol()
      var attempt = $0.attempt()
      attempt.items = [PAM_RHOST: "evil host\n\"", PAM_TTY: "pts/0\u{1B}[2J"]
      return attempt
    },
    // Longer hosts make libpam's own audit record fail (PAM_SYSTEM_ERR
    // after the module's success), whatever the module does.
    HostileCase("PAM_RHOST of 4 096 bytes", .success, "rhost=\(String(repeating: "h", count: 256))... tty=- result=success") {
      try $0.enrol()
      var attempt = $0.attempt()
      attempt.items = [PAM_RHOST: String(repeating: "h", count: 4_096)]
      return attempt
    },
    HostileCase("no PAM_USER: libpam asks for it, then the code", .success, "user=nobody") {
      try $0.enrol()
      return HostileAttempt(options: [$0.secrets.option], user: nil, replies: [.answer("nobody"), .answer($0.code)])
    },
    HostileCase("no PAM_USER and the conversation fails", .conversationError, "cannot get the user name", codePrompts: 0) {
      HostileAttempt(options: [$0.secrets.option], user: nil, replies: [.fail])
    },
  ]

  /// Module arguments an administrator (or an attacker who can edit the
  /// stack, but then all is lost anyway) may write: each fails closed.
  static let arguments: [HostileCase] = [
    HostileCase("unknown argument", misconfigured, "unrecognized option [no_such_option]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["no_such_option"])
    },
    HostileCase("argument with a control character", misconfigured, "unrecognized option [debug", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["debug\u{01}"])
    },
    HostileCase("allowed_perm=0999", misconfigured, "invalid value in option [allowed_perm=0999]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["allowed_perm=0999"])
    },
    HostileCase("grace_period=-1", misconfigured, "invalid value in option [grace_period=-1]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["grace_period=-1"])
    },
    HostileCase("grace_period beyond 7 days", misconfigured, "invalid value in option [grace_period=604801]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["grace_period=604801"])
    },
    HostileCase("empty secret=", misconfigured, "invalid value in option [secret=]", codePrompts: 0) {
      HostileAttempt(options: ["secret="], replies: [.answer($0.code)])
    },
    HostileCase("flag given a value (nullok=yes)", misconfigured, "invalid value in option [nullok=yes]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["nullok=yes"])
    },
    HostileCase("backoff=abc", misconfigured, "invalid value in option [backoff=abc]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["backoff=abc"])
    },
    HostileCase("user= with a slash", misconfigured, "invalid value in option [user=../root]", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["user=../root"])
    },
    HostileCase("user= account that does not exist", misconfigured, "user= account not found", codePrompts: 0) {
      try $0.enrol()
      return $0.attempt(["user=pamotp-no-such-user"])
    },
    HostileCase("relative secret= path", unavailable, "does not expand to an absolute path") {
      HostileAttempt(options: ["secret=relative/${USER}"], replies: [.answer($0.code)])
    },
    HostileCase("secret= path with ..", unavailable, "contains '..'") { scene in
      try scene.enrol()
      return HostileAttempt(options: ["secret=\(scene.secrets.path)/../\(URL(fileURLWithPath: scene.secrets.path).lastPathComponent)/${USER}"],
                            replies: [.answer(scene.code)])
    },
    HostileCase("secret= path with a 10 000-byte name", unavailable, "file name too long") {
      HostileAttempt(options: ["secret=\($0.secrets.path)/\(String(repeating: "s", count: 10_000))"], replies: [.answer($0.code)])
    },
  ]
}
