/// The remote hosts a user logged in from, for the `new-host` alert: at
/// most `SecretFile.maximumKnownHosts`, the least recent first, so the one
/// not seen for longest is forgotten first.
extension SecretFile {
  public enum HostCheck: Equatable, Sendable {
    /// Seen before; now the most recent.
    case known
    /// Not among the hosts kept: recorded, and worth an alert.
    case new
    /// The first host of a file that kept none (a new enrolment, or a file
    /// from before the list existed): recorded without an alert, since
    /// "not seen before" cannot be told from "never recorded".
    case firstRecorded
    /// A name the file cannot hold (GA's `[0-9a-zA-Z:.-]`): nothing is
    /// recorded, and every login from it is worth an alert.
    case unrecordable
  }

  /// Records a successful login from `host`.
  public mutating func recordKnownHost(_ host: [UInt8]) -> HostCheck {
    guard OptionLine.isHostName(host) else { return .unrecordable }
    guard var hosts = knownHosts else {
      knownHosts = [host]
      return .firstRecorded
    }
    if let index = hosts.firstIndex(of: host) {
      // The most recent already: nothing to write.
      guard index != hosts.count - 1 else { return .known }
      hosts.remove(at: index)
      hosts.append(host)
      knownHosts = hosts
      return .known
    }
    hosts.append(host)
    knownHosts = Array(hosts.suffix(Self.maximumKnownHosts))
    return .new
  }
}
