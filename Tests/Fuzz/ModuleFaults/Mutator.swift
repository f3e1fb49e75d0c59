import CModuleFaults
import Glibc

// libFuzzer's byte mutations tear a line-oriented input apart (a dictionary
// word lands mid-line and two directives become one unknown line), so this
// target mutates whole lines: it adds, removes and changes directives and
// secret-file lines, with values chosen near the input's own clock (so
// rate limits and back-offs are in force as often as not), and leaves the
// bytes within a line to libFuzzer.

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateModuleFaults(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ capacity: Int, _ seed: UInt32)
  -> Int
{
  guard let data else { return 0 }
  var mutator = Mutator(seed: seed, input: Array(UnsafeBufferPointer(start: data, count: size)))
  let output = mutator.mutate()
  guard output.count <= capacity else { return LLVMFuzzerMutate(data, size, capacity) }
  output.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: output.count) }
  return output.count
}

struct Mutator {
  var random: UInt64
  var directives: [[UInt8]]
  /// The secret file's lines; nil when the input has none.
  var file: [[UInt8]]?
  let input: [UInt8]

  init(seed: UInt32, input: [UInt8]) {
    random = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    self.input = input
    let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if let separator = lines.firstIndex(where: { $0 == Array("--".utf8) }) {
      directives = Array(lines[..<separator])
      var rest = Array(lines[(separator + 1)...])
      if rest.last == [] { rest.removeLast() }
      file = rest
    } else {
      directives = lines.last == [] ? Array(lines.dropLast()) : lines
      file = nil
    }
  }

  mutating func next() -> UInt64 {
    random ^= random << 13
    random ^= random >> 7
    random ^= random << 17
    return random
  }

  mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
  mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

  /// The clock the input starts at, for values near it.
  var now: Int64 {
    for line in directives.reversed() where line.starts(with: "time ".utf8) {
      if let value = Scenario.integer(String(decoding: line.dropFirst(5), as: UTF8.self)) { return value }
    }
    return 1_700_000_000
  }

  mutating func mutate() -> [UInt8] {
    let operations = 1 + below(3)
    for _ in 0..<operations {
      switch below(100) {
      case 0..<22: insertDirective()
      case 22..<34:
        // Answers go less often: a login without one ends at the first prompt.
        if !directives.isEmpty {
          let index = below(directives.count)
          if !directives[index].starts(with: "answer".utf8) || chance(40) { directives.remove(at: index) }
        }
      case 34..<52:
        if !directives.isEmpty {
          let index = below(directives.count)
          Self.mutateBytes(of: &directives[index], keepKeyword: true)
        }
      case 52..<70: insertFileLine()
      case 70..<78: if var lines = file, lines.count > 1 { lines.remove(at: 1 + below(lines.count - 1)); file = lines }
      case 78..<90:
        if var lines = file, !lines.isEmpty {
          Self.mutateBytes(of: &lines[below(lines.count)], keepKeyword: false)
          file = lines
        }
      case 90..<94: file = file == nil ? [secretLine()] : nil
      case 94..<97:
        if directives.count > 1 {
          let (first, second) = (below(directives.count), below(directives.count))
          directives.swapAt(first, second)
        }
      default: return wholeInput()
      }
    }
    var output = Array(directives.joined(separator: [0x0A]))
    if let file {
      output += Array("\n--\n".utf8) + Array(file.joined(separator: [0x0A])) + [0x0A]
    } else {
      output.append(0x0A)
    }
    return output
  }

  /// libFuzzer's mutation of the input as bytes (now and then: it also
  /// brings in the comparison operands libFuzzer has seen).
  mutating func wholeInput() -> [UInt8] {
    var buffer = input + [UInt8](repeating: 0, count: 64)
    let length = LLVMFuzzerMutate(&buffer, input.count, buffer.count)
    return Array(buffer.prefix(length))
  }

  /// libFuzzer's mutation of one line (of its value only, for a directive).
  static func mutateBytes(of line: inout [UInt8], keepKeyword: Bool) {
    let split = keepKeyword ? (line.firstIndex(of: 0x20).map { $0 + 1 } ?? line.count) : 0
    let value = Array(line[split...])
    var buffer = value + [UInt8](repeating: 0, count: 32)
    let length = LLVMFuzzerMutate(&buffer, value.count, buffer.count)
    line = Array(line[..<split]) + buffer.prefix(length).filter { $0 != 0x0A }
  }

  mutating func insertDirective() {
    let line = directive()
    directives.insert(Array(line.utf8), at: below(directives.count + 1))
  }

  mutating func directive() -> String {
    switch below(25) {
    case 0: return "time \(time())"
    case 1: return "step \(pick(["+1", "+29", "+30", "+31", "-1", "-30", "+3600", "-3600", "+86400", "+1000000000", "-9223372036854775808", "+9223372036854775807"]))"
    case 2: return "user \(userName())"
    case 3: return pick(["ask-user \(userName())", "no-user"])
    case 4: return "rhost \(pick(["192.0.2.7", "10.0.0.1", "::1", "", "host name", "a%20b", "x\u{2028}result=success"]))"
    case 5: return pick(["tty \(pick(["ssh", "pts/0", "", "tty\u{1}"]))", "service \(pick(["sshd", "sudo", "SSHD", "/etc/pam.d/x", "../other", ""]))"])
    case 6: return "authtok \(answer())"
    case 7, 8, 9, 22: return "answer \(answer())"
    case 10: return "conv \(pick(["again", "error", "buf", "null", "no-answer"]))"
    case 11: return pick(["messages fail", "resume \(1 + below(3))", "flag silent", "flag disallow-null", "seed \(next() % 1000)"])
    case 12, 13, 14: return "option \(option())"
    case 15: return "secret \(pick(Scenario.SecretLayout.allCases).name)"
    case 16: return pick(["owner", "group"]) + " " + pick(["root", "nobody", "nogroup", "1", "4"])
    case 17: return "mode \(pick(["0600", "0400", "0640", "0644", "0660", "0700", "4600", "0000"]))"
    case 18: return "deliver \(pick(Scenario.DeliveryProgram.allCases).name)"
    case 19:
      return pick([
        "link \(pick(Scenario.Link.allCases).name)", "dir-mode \(pick(["0755", "0770", "0777", "1777", "0000"]))",
        "pad \(pick(["1", "63", "64", "65", "80"]))", "stray \(pick(Scenario.Stray.allCases).name)",
      ])
    default: return fault()
    }
  }

  mutating func time() -> Int64 {
    switch below(5) {
    case 0: return pick([0, -1, -86_400, -2_208_988_800, 253_402_300_799, 4_102_444_800, 999_999_999_999, 1_000_000_000_000])
    case 1: return pick([Int64.min, Int64.max, Int64.min + 1, Int64.max - 1])
    case 2: return Int64(bitPattern: next())
    default: return now &+ Int64(below(200)) &- 100
    }
  }

  mutating func userName() -> String {
    pick(["root", "nobody", "alice", "ROOT", "", ".", "..", "a/b", "x result=success", "-n", "nobody ",
      String(repeating: "u", count: 256), "\u{2028}", String(repeating: "u", count: 239) + "\u{2028}result=success"])
  }

  mutating func answer() -> String {
    var parts: [String] = []
    if chance(20) { parts.append("pw:" + pick(["hunter2", "", "12345678", "pass word"])) }
    switch below(9) {
    case 0, 1: parts.append("totp\(pick(["+0", "+0", "-1", "+1", "+2", "-2", "+10", "+40", "-1500", "+1500", "+1000000"]))")
    case 2: parts.append("hotp+\(pick(["0", "1", "2", "4", "100"]))")
    case 3: parts.append("scratch\(below(4))")
    case 4: parts.append("sent")
    case 5: parts.append("text:")
    case 6: parts.append("long:\(pick(["7", "9", "4095", "4096", "5000"]))")
    case 7: parts.append("text:\(pick(["000000", "12345678", "1234567", "abcdef", "12 34 56", "\t123456"]))")
    default: parts.append("totp+0 sp")
    }
    return parts.joined(separator: " ")
  }

  mutating func option() -> String {
    if chance(10) {
      return pick(["nonsense", "backoff=030", "decoy=1", "", "NULLOK", "grace_period=-1", "user=", "code_ttl=0"])
    }
    return pick([
      "nullok", "debug", "decoy", "allow_readonly", "forward_pass", "try_first_pass", "use_first_pass",
      "noskewadj", "no_increment_hotp", "no_strict_owner", "echo_verification_code", "enroll=first-login",
      "grace_period=\(pick(["0", "1", "60", "3600", "604800", "604801"]))",
      "backoff=\(pick(["0", "1", "30", "9999999"]))", "backoff_after=\(pick(["0", "1", "3", "100"]))",
      "backoff_max=\(pick(["1", "60", "3600"]))", "code_ttl=\(pick(["1", "60", "300", "86400"]))",
      "resend_after=\(pick(["0", "1", "30", "3600"]))", "max_sends=\(pick(["1/1", "5/3600", "100/86400", "0/1"]))",
      "deliver_timeout=\(pick(["1", "15", "300"]))", "allowed_perm=\(pick(["0600", "0400", "0640", "0777"]))",
      "authtok_prompt=\(pick(["Code: ", "x", "%s%n"]))", "user=\(pick(["root", "nobody", "0", "65534", "alice"]))",
    ])
  }

  /// The calls of a login's write path come up more often.
  static let faultKinds = [
    "open", "open", "stat", "read", "read", "write", "write", "write", "fsync", "fsync", "rename", "rename",
    "rename", "chown", "chmod", "lock", "lock", "unlink", "random", "pipe", "spawn", "spawn-setup", "wait", "passwd", "fsid",
    "pam-user", "pam-item", "pam-set", "pam-prompt", "pam-prompt",
  ]

  mutating func fault() -> String {
    let kind = pick(Self.faultKinds)
    let error = pick(Scenario.errorNames).0
    let occurrence = pick([1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 12])
    return "fault \(kind) \(occurrence) \(error)" + (chance(20) ? " always" : "")
  }

  mutating func insertFileLine() {
    var lines = file ?? [secretLine()]
    if lines.isEmpty || chance(5) {
      if lines.isEmpty { lines.append(secretLine()) } else { lines[0] = secretLine() }
    } else {
      lines.insert(Array(fileLine().utf8), at: 1 + below(lines.count))
    }
    file = lines
  }

  mutating func secretLine() -> [UInt8] {
    Array(pick([
      "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "jbswy3dpehpk3pxp",
      "JBSW Y3DP-EHPK 3PXP", "6RDP7XGFJS6MFFY3YULKAWA5ZI======", "AAAAAAAAAAAAAAAA", "AAAA",
      String(repeating: "A", count: 103),
    ]).utf8)
  }

  mutating func fileLine() -> String {
    let t = now
    let step = t / 30
    func near() -> Int64 { t &- Int64(below(120)) }
    switch below(17) {
    case 0: return "\" TOTP_AUTH"
    case 1: return "\" HOTP_COUNTER \(pick(["1", "2", "1000000", "9999999999999999998", "9999999999999999999", "18446744073709551615"]))"
    case 2:
      let times = (0..<below(5)).map { _ in String(near()) }.joined(separator: " ")
      return "\" RATE_LIMIT \(pick(["1", "3", "100"])) \(pick(["1", "30", "3600"])) \(times)"
    case 3: return "\" WINDOW_SIZE \(pick(["1", "3", "17", "100"]))"
    case 4: return "\" STEP_SIZE \(pick(["1", "30", "60", "300"]))"
    case 5:
      let steps = (0..<below(4)).map { _ in String(step &- Int64(below(3)) &+ 1) }.joined(separator: " ")
      return "\" DISALLOW_REUSE \(steps)"
    case 6: return "\" TIME_SKEW \(pick(["0", "1", "-1", "-2", "1000", "-1000000"]))"
    case 7: return "\" RESETTING_TIME_SKEW \(step &- 2)+10 \(step &- 1)+10"
    case 8: return "\" LAST\(below(10)) \(pick(["192.0.2.7", "10.0.0.1"])) \(near())"
    case 9: return "\" DIGITS \(pick(["6", "7", "8"]))"
    case 10: return "\" ALGORITHM \(pick(["SHA1", "SHA256", "SHA512", "sha512"]))"
    case 11: return "\" FAILURES \(pick(["1", "3", "4", "10", "40", "1000000"])) \(near())"
    case 12: return "\" DELIVER \(pick(["email:alice@example.com", "sms:+447700900789", "email:-x@y.z"]))"
    case 13:
      let sent = near()
      return "\" DELIVERY_CODE \(sent &+ 300) \(sent) 00112233445566778899aabbccddeeff "
        + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    case 14:
      let times = (0..<below(6)).map { _ in String(near()) }.joined(separator: " ")
      return "\" DELIVERIES \(times)"
    default: return String(10_000_000 + below(89_999_999))
    }
  }
}
