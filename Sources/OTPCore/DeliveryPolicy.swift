/// The rules for codes sent by e-mail or SMS: how long a code lives, how
/// soon a new one may be asked for, how many may be sent. Time is a
/// parameter; nothing here sends anything.
public struct DeliverySettings: Equatable, Sendable {
  /// `code_ttl=`: seconds a sent code stays valid (default 300).
  public var codeLifetime: Int64
  /// `resend_after=`: seconds before a new code may be asked for (default 30).
  public var resendAfter: Int64
  /// `max_sends=N/SECONDS`: at most N codes sent in any SECONDS (default 5/3600).
  public var maximumSends: Int
  public var sendWindow: Int64

  public init(codeLifetime: Int64 = 300, resendAfter: Int64 = 30, maximumSends: Int = 5, sendWindow: Int64 = 3600) {
    self.codeLifetime = codeLifetime
    self.resendAfter = resendAfter
    self.maximumSends = maximumSends
    self.sendWindow = sendWindow
  }
}

public enum SendDecision: Equatable, Sendable {
  /// Send a new code now (it replaces any earlier one).
  case send
  /// At the start of a login: a code sent earlier still works; ask for it.
  case useExisting
  /// A new code was asked for moments after the last one.
  case tooSoon(retryAfter: Int64)
  /// `max_sends` reached, but the last code still works.
  case tooManyButExistingWorks
  /// `max_sends` reached and no code works.
  case tooMany
}

extension SecretFile {
  /// Whether a new code may be sent at `now`. `requested` is true when the
  /// user asked for one (an empty answer); at the start of a login a code
  /// that still works is asked for instead of sending another.
  public func sendDecision(at now: Int64, settings: DeliverySettings, requested: Bool) -> SendDecision {
    let working = sentCode.map { $0.sent <= now && now < $0.expires } ?? false
    if working, !requested { return .useExisting }
    if working, let sent = sentCode, now < sent.sent + settings.resendAfter {
      return .tooSoon(retryAfter: sent.sent + settings.resendAfter - now)
    }
    let recent = (deliveryTimes ?? []).filter { $0 > now - settings.sendWindow && $0 <= now }
    if recent.count >= settings.maximumSends { return working ? .tooManyButExistingWorks : .tooMany }
    return .send
  }

  /// Records a code about to be sent: the old one stops working.
  public mutating func recordSentCode(_ code: [UInt8], salt: [UInt8], at now: Int64, settings: DeliverySettings) {
    sentCode = SentCode(code: code, salt: salt, sent: now, lifetime: settings.codeLifetime)
    var times = (deliveryTimes ?? []).filter { $0 > now - settings.sendWindow && $0 <= now }
    times.append(now)
    deliveryTimes = Array(times.suffix(100))
  }

  /// Forgets a code that could not be delivered.
  public mutating func discardSentCode() { sentCode = nil }

  /// If `answer` is the sent code and it has not expired, uses it up.
  public mutating func useSentCode(_ answer: [UInt8], at now: Int64) -> SentCodeCheck {
    guard let sent = sentCode else { return .none }
    guard sent.matches(answer) else { return .wrong }
    guard now < sent.expires else {
      sentCode = nil
      return .expired
    }
    sentCode = nil
    return .accepted
  }
}

public enum SentCodeCheck: Equatable, Sendable {
  case accepted, wrong, expired
  /// No code was sent (or it was used or replaced).
  case none
}
