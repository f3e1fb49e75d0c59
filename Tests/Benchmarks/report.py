"""The results as markdown: medians, and each module's ratio to GA."""

import statistics
from dataclasses import dataclass, field

PEER_ORDER = ["pam_otp", "GA", "pam_oath", "floor"]


@dataclass
class Row:
    metric: str
    host: str
    config: str
    unit: str  # "ns", "KiB" or "bytes"
    samples: dict = field(default_factory=dict)  # peer name -> list of numbers

    def median(self, peer: str):
        values = self.samples.get(peer) or []
        return statistics.median(values) if values else None

    def quartiles(self, peer: str):
        values = sorted(self.samples.get(peer) or [])
        if len(values) < 4:
            return None
        q = statistics.quantiles(values, n=4)
        return q[0], q[2]


def format_value(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ns":
        if value >= 1e9:
            return f"{value / 1e9:.2f} s"
        if value >= 1e6:
            return f"{value / 1e6:.2f} ms"
        return f"{value / 1e3:.0f} µs"
    if unit == "KiB":
        return f"{value / 1024:.1f} MiB" if abs(value) >= 10240 else f"{value:.0f} KiB"
    return f"{value / 1024:.1f} KiB"  # bytes


def ratio(value, reference) -> str:
    if value is None or not reference:
        return "—"
    return f"{value / reference:.2f}×"


def results_table(rows: list) -> str:
    lines = [
        "| metric | host | config | pam_otp | GA | pam_oath | pam_otp / GA | pam_oath / GA | floor¹ |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        medians = {peer: row.median(peer) for peer in PEER_ORDER}
        cells = [format_value(medians[peer], row.unit) for peer in PEER_ORDER]
        lines.append(
            f"| {row.metric} | {row.host} | {row.config} | " + " | ".join(cells[:3])
            + f" | {ratio(medians['pam_otp'], medians['GA'])} | {ratio(medians['pam_oath'], medians['GA'])}"
            + f" | {cells[3]} |"
        )
    return "\n".join(lines)


def spread_table(rows: list) -> str:
    """Sample counts and interquartile ranges, to judge the noise."""
    lines = ["| metric | host | config | samples | pam_otp p25–p75 | GA p25–p75 | pam_oath p25–p75 | floor p25–p75 |",
             "|---|---|---|--:|--:|--:|--:|--:|"]
    for row in rows:
        counts = {len(row.samples[peer]) for peer in PEER_ORDER if row.samples.get(peer)}
        spreads = []
        for peer in PEER_ORDER:
            quartiles = row.quartiles(peer)
            spreads.append("—" if quartiles is None else
                           f"{format_value(quartiles[0], row.unit)} – {format_value(quartiles[1], row.unit)}")
        lines.append(f"| {row.metric} | {row.host} | {row.config} | {'/'.join(map(str, sorted(counts)))} | "
                     + " | ".join(spreads) + " |")
    return "\n".join(lines)


# Issue 9's bar: the decoy's and the real line's medians differ by less than this.
DECOY_BAR = 1.25


def decoy_table(rows: list) -> str:
    """Rows whose samples are keyed "decoy" and "real": both medians, their
    ratio, whether they are within DECOY_BAR of each other, the spreads."""
    lines = ["| metric | stack | host | after a wrong password (decoy) | after the right password (real line) "
             "| decoy / real | within 25% | decoy p25–p75 | real p25–p75 | samples |",
             "|---|---|---|--:|--:|--:|:-:|--:|--:|--:|"]
    for row in rows:
        decoy, real = row.median("decoy"), row.median("real")
        within = "—"
        if decoy and real:
            within = "yes" if max(decoy, real) / min(decoy, real) < DECOY_BAR else "**no**"
        spreads = []
        for which in ("decoy", "real"):
            quartiles = row.quartiles(which)
            spreads.append("—" if quartiles is None else
                           f"{format_value(quartiles[0], row.unit)} – {format_value(quartiles[1], row.unit)}")
        counts = "/".join(str(len(row.samples.get(which) or [])) for which in ("decoy", "real"))
        lines.append(f"| {row.metric} | {row.config} | {row.host} | {format_value(decoy, row.unit)} | "
                     f"{format_value(real, row.unit)} | {ratio(decoy, real)} | {within} | {' | '.join(spreads)} | "
                     f"{counts} |")
    return "\n".join(lines)


def document(title: str, context: list, rows: list, phase_rows: list, notes: list, decoy_rows: list = (),
             decoy_notes: list = ()) -> str:
    parts = [f"# {title}", "", *context, "", results_table(rows), "", *[f"- {note}" for note in notes], ""]
    if decoy_rows:
        parts += ["## The decoy line: time to refuse a wrong code", "", decoy_table(decoy_rows), "",
                  *[f"- {note}" for note in decoy_notes], ""]
    parts += ["## Where the cold time goes (medians)", "", results_table(phase_rows), "",
              "## Spread", "", spread_table(rows + phase_rows), ""]
    return "\n".join(parts)
