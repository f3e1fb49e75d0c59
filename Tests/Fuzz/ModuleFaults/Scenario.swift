import CModuleFaults
import CPAM
import Glibc

/// One fuzz input: a login, in a line-oriented text format that libFuzzer
/// mutates well and a person can read in a saved crash. Unknown or
/// malformed lines are ignored. Everything after a line `--` is the secret
/// file, byte for byte (no `--`: the user has no secret file).
///
///     time -86400              the wall clock at the module's first read
///     step +30                 added at each further read (up to 16 lines)
///     user alice               PAM_USER (default root)
///     ask-user alice           PAM_USER unset; the login prompt is answered
///     no-user                  PAM_USER unset; the login prompt fails
///     rhost 192.0.2.7          PAM_RHOST; also `tty`, `service`
///     authtok pw:hunter2 totp+0   PAM_AUTHTOK, as an earlier module set it
///     flag silent              PAM_SILENT (also `disallow-null`)
///     option nullok            a module argument (raw bytes)
///     secret home-user         where the file lives (root-user, root-fixed,
///                              home-user, home-fixed): the harness adds
///                              `secret=` pointing into its private directory
///     owner nobody             the file's owner, `group`, `mode 0400`
///     deliver ok               adds `deliver=` naming a program that
///                              succeeds (ok), fails, crashes, hangs, is
///                              missing or is unsafe (writable by all)
///     link symlink             the path is a symlink to the file (also
///                              hard: a second name; fifo; directory)
///     dir-mode 0777            the mode of the file's directory
///     pad 70                   KiB of blank lines appended to the file
///     stray symlink            a leftover `.NAME.update~` beside the file:
///                              a file, or a symbolic or hard link to a
///                              victim file the module must never write
///     answer totp+0            the next prompt's answer (see Answer)
///     conv again               the next prompt returns PAM_CONV_AGAIN
///                              (also: error, buf, null, no-answer)
///     messages fail            informational messages fail (PAM_CONV_ERR)
///     resume 2                 after PAM_INCOMPLETE, call again (up to 3)
///     fault write 2 ENOSPC     the 2nd write fails with ENOSPC
///     fault lock 1 EAGAIN always   the 1st and every later flock fails
///     seed 42                  the random bytes getrandom returns
struct Scenario {
  var clockBase: Int64 = 1_700_000_000
  var clockSteps: [Int64] = []
  var user: UserItem = .item(Array("root".utf8))
  var remoteHost: [UInt8]? = nil
  var tty: [UInt8]? = nil
  var service: [UInt8]? = nil
  var authenticationToken: Answer? = nil
  var flags: Int32 = 0
  var options: [[UInt8]] = []
  var layout: SecretLayout = .rootUser
  var owner: UInt32? = nil
  var group: UInt32? = nil
  var mode: UInt32 = 0o600
  var delivery: DeliveryProgram? = nil
  /// Something other than a plain file at the secret path.
  var link: Link? = nil
  /// The mode of the directory that holds the file (default 0700).
  var directoryMode: UInt32? = nil
  /// KiB of blank lines appended to the file (past the 64 KiB limit).
  var padding = 0
  /// A leftover `.NAME.update~` beside the file, as a crashed writer (or a
  /// user in their own home directory) may leave one.
  var stray: Stray? = nil
  var replies: [Reply] = []
  var messagesFail = false
  var resumes = 0
  var faults: [Fault] = []
  var randomSeed: UInt64 = 0
  var file: [UInt8]? = nil

  enum UserItem {
    case item([UInt8])
    /// Unset; pam_get_user asks the conversation, which answers this.
    case asked([UInt8])
    /// Unset; the conversation fails the login prompt.
    case none

    var name: [UInt8]? {
      switch self {
      case .item(let name), .asked(let name): name
      case .none: nil
      }
    }
  }

  enum SecretLayout: CaseIterable {
    /// `DIR/s/${USER}`: root's directory, as `/var/lib/pam_otp`.
    case rootUser
    /// `DIR/s/otp`: one file whatever the user.
    case rootFixed
    /// `DIR/s/home/${USER}`: a directory owned by nobody, as a home.
    case homeUser
    /// `DIR/s/home/.google_authenticator`.
    case homeFixed

    var name: String {
      switch self {
      case .rootUser: "root-user"
      case .rootFixed: "root-fixed"
      case .homeUser: "home-user"
      case .homeFixed: "home-fixed"
      }
    }

    var inHome: Bool { self == .homeUser || self == .homeFixed }
  }

  /// What the module must refuse to read or write through.
  enum Link: CaseIterable {
    /// The file has a second name beside it.
    case hard
    /// The path is a symbolic link to the file.
    case symbolic
    /// A FIFO at the path (opening one can block).
    case fifo
    /// A directory at the path.
    case directory

    var name: String {
      switch self {
      case .hard: "hard"
      case .symbolic: "symlink"
      case .fifo: "fifo"
      case .directory: "directory"
      }
    }
  }

  enum Stray: CaseIterable {
    case file
    /// A symbolic link to the sandbox's victim file.
    case symlink
    /// A second name of the victim file.
    case hardlink

    var name: String {
      switch self {
      case .file: "file"
      case .symlink: "symlink"
      case .hardlink: "hardlink"
      }
    }
  }

  enum DeliveryProgram: CaseIterable {
    case ok, fail, crash, hang, missing, unsafe

    var name: String {
      switch self {
      case .ok: "ok"
      case .fail: "fail"
      case .crash: "crash"
      case .hang: "hang"
      case .missing: "missing"
      case .unsafe: "unsafe"
      }
    }
  }

  /// What the conversation does at one prompt.
  enum Reply {
    case answer(Answer)
    /// Bytes typed in an earlier run (replays).
    case literal([UInt8])
    case error
    case again
    case bufferError
    /// PAM_SUCCESS without a response array.
    case noResponses
    /// PAM_SUCCESS with a NULL `resp` for this prompt.
    case noAnswer
  }

  struct Fault {
    var kind: Int32
    var occurrence: UInt32
    var error: Int32
    var sticky: Bool
  }

  /// The user name the secret path is built from, as the module gets it
  /// (libpam's items are C strings).
  var userName: [UInt8]? { user.name }

  init() {}

  init(parsing input: UnsafeRawBufferPointer) {
    var lines = Array(input).split(separator: 0x0A, omittingEmptySubsequences: false)[...]
    var offset = 0
    while let line = lines.popFirst() {
      offset += line.count + 1
      if line.elementsEqual("--".utf8) {
        file = offset <= input.count ? Array(input[offset...]) : []
        break
      }
      read(Array(line))
    }
  }

  private mutating func read(_ line: [UInt8]) {
    let space = line.firstIndex(of: 0x20) ?? line.endIndex
    let keyword = String(decoding: line[..<space], as: UTF8.self)
    let rest = space < line.endIndex ? Array(line[(space + 1)...]) : []
    let words = rest.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
    switch keyword {
    case "time": if let value = words.first.flatMap(Self.integer) { clockBase = value }
    case "step": if let value = words.first.flatMap(Self.integer), clockSteps.count < 16 { clockSteps.append(value) }
    case "user": user = .item(Self.cString(rest))
    case "ask-user": user = .asked(Self.cString(rest))
    case "no-user": user = .none
    case "rhost": remoteHost = Self.cString(rest)
    case "tty": tty = Self.cString(rest)
    case "service": service = Self.cString(rest)
    case "authtok": authenticationToken = Answer(parsing: rest)
    case "flag":
      switch words.first {
      case "silent": flags |= Int32(bitPattern: PAM_SILENT)
      case "disallow-null": flags |= Int32(bitPattern: PAM_DISALLOW_NULL_AUTHTOK)
      default: break
      }
    case "option":
      if options.count < 300, let option = Self.safeOption(Self.cString(rest)) { options.append(option) }
    case "secret":
      if let found = SecretLayout.allCases.first(where: { $0.name == words.first }) { layout = found }
    case "owner": owner = words.first.flatMap(Self.account)
    case "group": group = words.first.flatMap(Self.account)
    case "mode": if let value = words.first.flatMap({ UInt32($0, radix: 8) }), value <= 0o7777 { mode = value }
    case "deliver": delivery = DeliveryProgram.allCases.first { $0.name == words.first }
    case "link": link = Link.allCases.first { $0.name == words.first }
    case "dir-mode":
      if let value = words.first.flatMap({ UInt32($0, radix: 8) }), value <= 0o7777 { directoryMode = value }
    case "pad": if let value = words.first.flatMap({ Int($0) }) { padding = min(max(value, 0), 80) }
    case "stray": stray = Stray.allCases.first { $0.name == words.first }
    case "answer": if replies.count < 32 { replies.append(.answer(Answer(parsing: rest))) }
    case "conv":
      let reply: Reply? =
        switch words.first {
        case "again": .again
        case "error": .error
        case "buf": .bufferError
        case "null": .noResponses
        case "no-answer": .noAnswer
        default: nil
        }
      if let reply, replies.count < 32 { replies.append(reply) }
    case "messages": messagesFail = words.first == "fail"
    case "resume": if let value = words.first.flatMap({ Int($0) }) { resumes = min(max(value, 0), 3) }
    case "fault": if let fault = Self.fault(words) { faults.append(fault) }
    case "seed": if let value = words.first.flatMap({ UInt64($0) }) { randomSeed = value }
    default: break
    }
  }

  static func integer(_ text: String) -> Int64? {
    if text.hasPrefix("+") { return Int64(text.dropFirst()) }
    return Int64(text)
  }

  /// libpam items and arguments are C strings: the bytes up to a NUL.
  static func cString(_ bytes: [UInt8]) -> [UInt8] {
    Array(bytes.prefix { $0 != 0 })
  }

  /// A module argument, unless it could point the module outside the
  /// private directory: the harness alone chooses the secret file and the
  /// program that sends codes. An argument with a `/` is refused (so none
  /// can name a path), except `max_sends=N/SECONDS`; `user=` names an
  /// account, which is safe.
  static func safeOption(_ option: [UInt8]) -> [UInt8]? {
    let lower = option.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
    for prefix in ["secret", "deliver="] where lower.starts(with: prefix.utf8) { return nil }
    let sends = Array("max_sends=".utf8)
    let isSendLimit = option.starts(with: sends)
      && option.dropFirst(sends.count).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "/") }
    guard !option.contains(UInt8(ascii: "/")) || isSendLimit else { return nil }
    return option
  }

  static func account(_ name: String) -> UInt32? {
    switch name {
    case "root": 0
    case "nobody", "nogroup": 65534
    default: UInt32(name)
    }
  }

  static let faultKinds: [(String, Int32)] = [
    ("open", Int32(FAULT_OPEN.rawValue)), ("stat", Int32(FAULT_STAT.rawValue)),
    ("read", Int32(FAULT_READ.rawValue)), ("write", Int32(FAULT_WRITE.rawValue)),
    ("fsync", Int32(FAULT_FSYNC.rawValue)), ("chown", Int32(FAULT_CHOWN.rawValue)),
    ("chmod", Int32(FAULT_CHMOD.rawValue)), ("lock", Int32(FAULT_LOCK.rawValue)),
    ("rename", Int32(FAULT_RENAME.rawValue)), ("unlink", Int32(FAULT_UNLINK.rawValue)),
    ("random", Int32(FAULT_RANDOM.rawValue)), ("pipe", Int32(FAULT_PIPE.rawValue)),
    ("spawn", Int32(FAULT_SPAWN.rawValue)), ("spawn-setup", Int32(FAULT_SPAWN_SETUP.rawValue)),
    ("wait", Int32(FAULT_WAIT.rawValue)),
    ("passwd", Int32(FAULT_PASSWD.rawValue)), ("fsid", Int32(FAULT_FSID.rawValue)),
    ("pam-user", Int32(FAULT_PAM_USER.rawValue)), ("pam-item", Int32(FAULT_PAM_ITEM.rawValue)),
    ("pam-set", Int32(FAULT_PAM_SET.rawValue)), ("pam-prompt", Int32(FAULT_PAM_PROMPT.rawValue)),
  ]

  static let errorNames: [(String, Int32)] = [
    ("EPERM", EPERM), ("ENOENT", ENOENT), ("EINTR", EINTR), ("EIO", EIO), ("EBADF", EBADF),
    ("ECHILD", ECHILD), ("EAGAIN", EAGAIN), ("ENOMEM", ENOMEM), ("EACCES", EACCES), ("EEXIST", EEXIST),
    ("EXDEV", EXDEV), ("ENOTDIR", ENOTDIR), ("EISDIR", EISDIR), ("EINVAL", EINVAL), ("ENFILE", ENFILE),
    ("EMFILE", EMFILE), ("EFBIG", EFBIG), ("ENOSPC", ENOSPC), ("EROFS", EROFS), ("EMLINK", EMLINK),
    ("EPIPE", EPIPE), ("ENAMETOOLONG", ENAMETOOLONG), ("ENOLCK", ENOLCK), ("ENOSYS", ENOSYS),
    ("ELOOP", ELOOP), ("EDQUOT", EDQUOT), ("ESTALE", ESTALE), ("ETIMEDOUT", ETIMEDOUT), ("E2BIG", E2BIG),
    ("short", Int32(FAULT_SHORT)), ("null", Int32(FAULT_NULL)),
    ("PAM_BUF_ERR", PAM_BUF_ERR), ("PAM_SYSTEM_ERR", PAM_SYSTEM_ERR), ("PAM_CONV_ERR", PAM_CONV_ERR),
    ("PAM_CONV_AGAIN", PAM_CONV_AGAIN), ("PAM_BAD_ITEM", PAM_BAD_ITEM), ("PAM_ABORT", PAM_ABORT),
    ("PAM_PERM_DENIED", PAM_PERM_DENIED), ("PAM_USER_UNKNOWN", PAM_USER_UNKNOWN),
  ]

  static func fault(_ words: [String]) -> Fault? {
    guard words.count >= 3, let kind = faultKinds.first(where: { $0.0 == words[0] })?.1,
      let occurrence = UInt32(words[1]),
      let error = errorNames.first(where: { $0.0 == words[2] })?.1 ?? Int32(words[2])
    else { return nil }
    return Fault(kind: kind, occurrence: occurrence, error: error, sticky: words.count > 3 && words[3] == "always")
  }
}

/// What the conversation types at a prompt, or what `authtok` holds: the
/// concatenation of its parts. The parts that name a code are worked out
/// from the secret file and the clock when the prompt comes.
///
///     totp+0 totp-1       the TOTP code of the current step, the one before
///     hotp+0              the HOTP code at the file's counter (+1: the next)
///     scratch0            the file's first scratch code
///     sent                the code the deliver= program was last given
///     pw:hunter2          text (a password before a code); ends at a space
///     sp                  one space
///     long:5000           that many digits
///     text:…              the rest of the line, verbatim
struct Answer {
  enum Part {
    case text([UInt8])
    case totp(Int64)
    case hotp(UInt64)
    case scratch(Int)
    case sent
  }

  var parts: [Part] = []

  init(parsing line: [UInt8]) {
    var rest = line[...]
    while !rest.isEmpty {
      if rest.starts(with: "text:".utf8) {
        parts.append(.text(Scenario.cString(Array(rest.dropFirst(5)))))
        return
      }
      let end = rest.firstIndex(of: 0x20) ?? rest.endIndex
      let word = String(decoding: rest[..<end], as: UTF8.self)
      rest = end < rest.endIndex ? rest[(end + 1)...] : []
      if word.hasPrefix("totp"), let offset = Scenario.integer(String(word.dropFirst(4))) {
        parts.append(.totp(max(min(offset, 1_000_000), -1_000_000)))
      } else if word.hasPrefix("hotp"), let offset = UInt64(word.dropFirst(4).drop { $0 == "+" }) {
        parts.append(.hotp(min(offset, 1_000_000)))
      } else if word.hasPrefix("scratch"), let index = Int(word.dropFirst(7)) {
        parts.append(.scratch(max(index, 0)))
      } else if word == "sent" {
        parts.append(.sent)
      } else if word == "sp" {
        parts.append(.text([0x20]))
      } else if word.hasPrefix("pw:") {
        parts.append(.text(Scenario.cString(Array(word.utf8.dropFirst(3)))))
      } else if word.hasPrefix("long:"), let count = Int(word.dropFirst(5)) {
        parts.append(.text([UInt8](repeating: UInt8(ascii: "1"), count: min(max(count, 0), 100_000))))
      }
    }
  }
}
