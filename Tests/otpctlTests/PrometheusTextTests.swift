import Testing

@testable import otpctl

/// The text exposition format's escaping: label values escape `\`, `"`
/// and line feed; HELP texts `\` and line feed.
struct PrometheusTextTests {
  @Test(arguments: [
    ("alice", "alice"), ("a\"b", "a\\\"b"), ("c\\d", "c\\\\d"), ("e\nf", "e\\nf"), ("g\r\nh", "g\r\\nh"),
    ("jos\u{e9}", "jos\u{e9}"),
  ])
  func labelValues(value: String, escaped: String) {
    #expect(Prometheus.escapeLabel(value) == escaped)
  }

  @Test func helpKeepsQuotes() {
    #expect(Prometheus.escapeHelp("say \"hi\"\\\n") == "say \"hi\"\\\\\\n")
  }

  @Test func everyMetricIsNamedAsPrometheusAsks() {
    let names = Prometheus.metrics.map(\.name)
    #expect(Set(names).count == names.count)
    for name in names {
      #expect(name.hasPrefix("pam_otp_"))
      #expect(name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(name)")
      #expect(!name.hasSuffix("_total"), "a gauge named as a counter: \(name)")
    }
  }
}
