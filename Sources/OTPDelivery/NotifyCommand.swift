import CShims

#if !PAM_OTP_SINGLE_MODULE
import OTPCore
import OTPStore
#endif

/// The administrator's program told of alerts (`notify=`): run as
/// `COMMAND alert EVENT` with the alert's fields on its standard input,
/// under the rules of the delivery program (root's program, no shell, only
/// PATH, PAM_USER, PAM_SERVICE and PAM_RHOST in its environment, a process
/// group of its own, a time limit).
///
/// Most alerts are raised by the answer that ends the login, so the
/// program cannot be ended with the login as a delivery program is: it
/// would never get to send anything. It is started under a watchdog that
/// is not the host's child (see `cshim_spawn_watched`): the module returns
/// at once, and the watchdog kills the program's whole group at its time
/// limit and logs how it ended, in the module's own log format.
public struct NotifyCommand: Sendable {
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

    public var description: String {
      switch self {
      case .unsafeProgram(let error): "notify command refused: \(error.description)"
      case .couldNotStart(let error): "notify command could not start: \(error.description)"
      }
    }
  }

  /// Where the watchdog logs: the start of each of its lines (everything
  /// before "sent" or the reason it failed), and the identity the host's own
  /// lines carry.
  public struct LogLines: Sendable {
    public let prefix: [UInt8]
    public let tag: [UInt8]
    public let pid: Int32

    public init(prefix: [UInt8], tag: [UInt8], pid: Int32) {
      self.prefix = prefix
      self.tag = tag
      self.pid = pid
    }
  }

  /// logger(1), from util-linux (Debian's essential bsdutils): a fresh
  /// process that writes to syslog as the host's own lines do.
  static let logger: [UInt8] = Array("/usr/bin/logger".utf8)

  /// Starts the program for `event` with `input` on its standard input and
  /// returns without waiting for it.
  public func start(
    event: String, input: [UInt8], environment: [(String, [UInt8])], log: LogLines
  ) throws(Failure) {
    do throws(StoreError) { try AdministratorProgram.check(path) } catch { throw .unsafeProgram(error) }
    var fds: [Int32] = [-1, -1]
    guard fds.withUnsafeMutableBufferPointer({ cshim_pipe($0.baseAddress) }) == 0 else {
      throw .couldNotStart(.last(.pipe))
    }
    let readEnd = FileDescriptor(adopting: fds[0])
    let writeEnd = FileDescriptor(adopting: fds[1])
    // A few hundred bytes (every value is bounded): they fit in the pipe's
    // buffer, so this never waits for the program to read.
    let written = input.withUnsafeBytes { bytes -> SystemError? in
      do throws(SystemError) { try writeEnd.writeAll(bytes) } catch { return error }
      return nil
    }
    if let error = written { throw .couldNotStart(error) }
    writeEnd.close()
    let arguments = [path, Array("alert".utf8), Array(event.utf8)]
    let variables = AdministratorProgram.environment(environment)
    let loggerArguments: [[UInt8]] = [
      Array("logger".utf8), Array("-t".utf8), log.tag, Array("--id=".utf8) + Decimal.format(log.pid),
    ]
    let words = Array("notify command ".utf8)
    let messages: [[UInt8]] = [
      log.prefix + Array("sent".utf8),
      log.prefix + words + Array("exited with status ".utf8),
      log.prefix + words + Array("was killed by a signal".utf8),
      log.prefix + words + Array("ran past its time limit and was killed".utf8),
      log.prefix + words + Array("could not start: errno ".utf8),
    ]
    let error = CStringArray(arguments).withPointers { argv in
      CStringArray(variables).withPointers { envp in
        CStringArray(loggerArguments).withPointers { loggerArgv in
          CStringArray(messages).withPointers { text in
            withCString(path) { program in
              withCString(Self.logger) { logger in
                var watch = cshim_watch(
                  timeout_ns: Int(timeout) * 1_000_000_000, logger: logger, logger_arguments: loggerArgv,
                  sent: text[0], exited: text[1], signaled: text[2], timed_out: text[3], not_started: text[4])
                return cshim_spawn_watched(program, argv, envp, readEnd.raw, &watch)
              }
            }
          }
        }
      }
    }
    readEnd.close()
    guard error == 0 else { throw .couldNotStart(SystemError(.spawn, code: error)) }
  }
}
