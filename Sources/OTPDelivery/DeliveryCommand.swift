import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
import OTPStore
#endif

/// The administrator's program that sends a code (`deliver=`): run directly,
/// never through a shell, as `COMMAND CHANNEL ADDRESS` with the code on its
/// standard input and only PATH, PAM_USER, PAM_SERVICE and PAM_RHOST in its
/// environment; killed when it runs past the time limit; its exit status
/// decides.
///
/// It is started, and never waited for: a login goes on while the program
/// runs, looks at it without waiting after each answer, and ends it if it
/// still runs when the login is over. So no answer and no result takes
/// longer because a code was sent (the decoy line sends none).
public struct DeliveryCommand: Sendable {
  public let path: [UInt8]
  /// Seconds.
  public let timeout: Int64

  public init(path: [UInt8], timeout: Int64 = 15) {
    self.path = path
    self.timeout = timeout
  }

  public enum Failure: Error, Sendable {
    /// The program is not a root-owned executable that only root can change.
    case unsafeProgram(StoreError)
    case couldNotStart(SystemError)
    case exited(status: Int32)
    case killedBySignal
    case timedOut
    /// Still running when the login ended.
    case stoppedWithTheLogin

    public var description: String {
      switch self {
      case .unsafeProgram(let error): "delivery command refused: \(error.description)"
      case .couldNotStart(let error): "delivery command could not start: \(error.description)"
      case .exited(let status): "delivery command exited with status \(status)"
      case .killedBySignal: "delivery command was killed by a signal"
      case .timedOut: "delivery command ran past its time limit and was killed"
      case .stoppedWithTheLogin: "delivery command was still running when the login ended and was killed"
      }
    }
  }

  /// Starts the program with `code` on its standard input.
  public func start(
    code: [UInt8], to address: DeliveryAddress, environment: [(String, [UInt8])]
  ) throws(Failure) -> RunningDelivery {
    try checkProgram()
    var fds: [Int32] = [-1, -1]
    guard fds.withUnsafeMutableBufferPointer({ cshim_pipe($0.baseAddress) }) == 0 else {
      throw .couldNotStart(.last(.pipe))
    }
    let readEnd = FileDescriptor(adopting: fds[0])
    let writeEnd = FileDescriptor(adopting: fds[1])
    let arguments = [path, Array(address.channel.name.utf8), address.address]
    var variables: [[UInt8]] = [Array("PATH=/usr/sbin:/usr/bin:/sbin:/bin".utf8)]
    for (name, value) in environment where !value.contains(0) {
      variables.append(Array(name.utf8) + [UInt8(ascii: "=")] + value)
    }
    var pid: pid_t = 0
    let error = CStringArray(arguments).withPointers { argv in
      CStringArray(variables).withPointers { envp in
        withCString(path) { cshim_spawn($0, argv, envp, readEnd.raw, &pid) }
      }
    }
    guard error == 0 else { throw .couldNotStart(SystemError(.spawn, code: error)) }
    let input = SensitiveBytes(capacity: code.count + 1)
    input.fill { buffer in
      for (index, byte) in code.enumerated() { buffer[index] = byte }
      buffer[code.count] = ASCII_NEWLINE
      return code.count + 1
    }
    do throws(SystemError) {
      // The code and a newline fit in the pipe's buffer: this never waits
      // for the program to read.
      try input.withUnsafeBytes { bytes throws(SystemError) in try writeEnd.writeAll(bytes) }
    } catch {
      // A broken pipe (the command did not read) is judged by its exit status.
    }
    writeEnd.close()
    readEnd.close()
    return RunningDelivery(pid: pid, deadline: cshim_monotonic_ns() + Int(timeout) * 1_000_000_000)
  }

  /// A regular file owned by root, executable, not writable by group or
  /// others, reached through directories only root can change.
  private func checkProgram() throws(Failure) {
    let location = SecretFileLocation(path: path, account: .root, allowedPermissions: 0o755)
    do throws(StoreError) {
      let (directories, name) = try location.components()
      let (directory, _) = try PathWalk.openParent(of: location, directories: directories)
      var info = stat()
      guard withCString(name, { fstatat(directory.raw, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else {
        let error = SystemError.last(.stat)
        throw error.isNotFound ? StoreError.notFound(path: location.pathText) : .system(path: location.pathText, error)
      }
      let mode = UInt32(info.st_mode) & 0o7777
      guard cshim_is_reg(info.st_mode) != 0 else {
        throw StoreError.unsafeFile(path: location.pathText, problem: .notRegularFile)
      }
      guard info.st_uid == 0 else {
        throw StoreError.unsafeFile(path: location.pathText, problem: .ownedBy(uid: info.st_uid, expected: 0))
      }
      guard mode & 0o022 == 0, mode & 0o111 != 0 else {
        throw StoreError.unsafeFile(path: location.pathText, problem: .permissions(mode: mode, allowed: 0o755))
      }
    } catch {
      throw .unsafeProgram(error)
    }
  }
}

/// A delivery program that was started and has not been reaped.
public struct RunningDelivery: Sendable {
  let pid: pid_t
  /// CLOCK_MONOTONIC nanoseconds after which it is killed.
  let deadline: Int

  public enum State: Sendable {
    case running
    /// It exited 0.
    case delivered
    case failed(DeliveryCommand.Failure)
  }

  /// Looks without waiting: reaps the program if it has ended, and kills it
  /// (with everything it started) once it is past its deadline.
  public func poll() -> State {
    var status: Int32 = 0
    let result: pid_t
    do throws(SystemError) {
      result = try SystemError.retrying(.wait) { waitpid(pid, &status, WNOHANG) }
    } catch {
      // Someone else (the host's SIGCHLD handler) reaped it: no status to judge.
      return .failed(.couldNotStart(error))
    }
    guard result == pid else {
      guard cshim_monotonic_ns() >= deadline else { return .running }
      kill()
      return .failed(.timedOut)
    }
    guard cshim_wifexited(status) != 0 else { return .failed(.killedBySignal) }
    let code = cshim_wexitstatus(status)
    return code == 0 ? .delivered : .failed(.exited(status: code))
  }

  /// Ends the program now, with everything it started, and reaps it: the
  /// login it was started for is over.
  public func stop() -> State {
    let state = poll()
    guard case .running = state else { return state }
    kill()
    return .failed(.stoppedWithTheLogin)
  }

  /// The whole group: a script's msmtp or curl must not deliver a code the
  /// module has given up on, nor live on after it.
  private func kill() {
    _ = CShims.kill(-pid, SIGKILL)
    var status: Int32 = 0
    _ = try? SystemError.retrying(.wait) { waitpid(pid, &status, 0) }
  }
}

private let ASCII_NEWLINE: UInt8 = 0x0A

/// NUL-terminated copies of byte strings and a NULL-terminated array of
/// pointers to them, for argv and envp.
private struct CStringArray {
  let strings: [[UInt8]]

  init(_ strings: [[UInt8]]) { self.strings = strings.map { $0 + [0] } }

  func withPointers<Result>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
    var storage: [UnsafeMutablePointer<CChar>?] = []
    for string in strings {
      let copy = UnsafeMutablePointer<CChar>.allocate(capacity: string.count)
      for (index, byte) in string.enumerated() { copy[index] = CChar(bitPattern: byte) }
      storage.append(copy)
    }
    storage.append(nil)
    defer { for pointer in storage { pointer?.deallocate() } }
    return storage.withUnsafeBufferPointer { body($0.baseAddress.unsafelyUnwrapped) }
  }
}
