import Testing

@testable import otpctl

/// otpctl(1)'s METRICS (scripts/man/otpctl.1.in) lists exactly the metrics
/// `status --all --prometheus` writes: dashboards and alert rules are
/// written from the page.
struct MetricsPageTests {
  @Test func theMetricsSectionListsExactlyTheMetricsOtpctlWrites() throws {
    let documented = try ManPageSource.read("otpctl.1.in").entries(inSection: "METRICS")
    let written = Set(Prometheus.metrics.map(\.name))
    #expect(written.subtracting(documented).sorted() == [], "metrics otpctl writes but otpctl(1) omits")
    #expect(documented.subtracting(written).sorted() == [], "metrics otpctl(1) lists but otpctl never writes")
  }
}
