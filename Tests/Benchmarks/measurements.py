"""Each kind of measurement as rows of the table. Every one interleaves the
modules (round robin, the order rotating each round) so that background load
falls on all alike, and throws away a first warm-up round (page cache, lazy
set-up)."""

from pathlib import Path

from decoy_timing import METRICS, PASSWORDS, STACK_HOSTS
from fixtures import CONFIGS
from report import Row
from ssh_logins import SshLogins, SshServer


def interleaved(rounds: int, cells: list, measure) -> dict:
    """measure(*cell) for every cell, `rounds` times, after one discarded
    warm-up round; {cell: [values]}."""
    samples = {cell: [] for cell in cells}
    for round_number in range(rounds + 1):
        shift = round_number % len(cells)
        for cell in cells[shift:] + cells[:shift]:
            value = measure(*cell)
            if round_number > 0:
                samples[cell].append(value)
    return samples


def _by_module(samples: dict, keep) -> dict:
    """{module name: values} of the cells `keep` accepts (the module is
    each cell's last element)."""
    merged = {}
    for cell, values in samples.items():
        if keep(cell):
            merged.setdefault(cell[-1].name, []).extend(values)
    return merged


def _row(metric: str, host: str, config: str, unit: str, samples: dict, key=lambda value: value) -> Row:
    row = Row(metric, host, config, unit)
    for name, values in samples.items():
        row.samples[name] = [key(value) for value in values]
    return row


def cold_rows(bench, rounds: int, hosts: list, modules: list):
    """(rows, phase rows): pam_start→pam_end in a fresh process, and each phase."""
    cells = [(host, config, module) for host in hosts for config in CONFIGS for module in modules]
    cold = interleaved(rounds, cells, bench.cold)
    rows, phases = [], []
    for host in hosts:
        for config in CONFIGS:
            samples = _by_module(cold, lambda cell: cell[0] == host and cell[1] == config)
            rows.append(_row("cold: load + 1st auth (pam_start→pam_end)", host.name, str(config), "ns", samples,
                             lambda fields: fields["total_ns"]))
            for phase in ("pam_start", "pam_authenticate", "pam_end"):
                phases.append(_row(f"cold: {phase}", host.name, str(config), "ns", samples,
                                   lambda fields, phase=phase: fields[f"{phase}_ns"]))
    return rows, phases


def warm_rows(bench, processes: int, authentications: dict, host, modules: list) -> list:
    cells = [(host, config, module) for config in CONFIGS for module in modules]
    warm = interleaved(processes, cells,
                       lambda host, config, module: bench.warm(host, config, module, authentications[config]))
    rows = []
    for config in CONFIGS:
        runs = _by_module(warm, lambda cell: cell[1] == config)
        samples = {name: [value for run in values for value in run] for name, values in runs.items()}
        rows.append(_row("warm: one more auth in the same process", host.name, str(config), "ns", samples))
    return rows


def dlopen_rows(bench, rounds: int, hosts: list, modules: list) -> list:
    loads = interleaved(rounds, [(host, module) for host in hosts for module in modules], bench.dlopen)
    return [_row("dlopen of the module alone", host.name, "—", "ns", _by_module(loads, lambda cell: cell[0] == host))
            for host in hosts]


def memory_rows(bench, rounds: int, hosts: list, modules: list) -> list:
    cells = [(host, module) for host in hosts for module in modules]
    memory = interleaved(rounds, cells, lambda host, module: bench.memory(host, 1, module))
    return [_row(f"{label} (load + 1st auth)", host.name, "1", "KiB", _by_module(memory, lambda cell: cell[0] == host),
                 lambda fields, field=field: fields[field])
            for field, label in (("rss_kib", "resident memory added"), ("private_dirty_kib", "private dirty added"))
            for host in hosts]


def size_row(modules: list) -> Row:
    return _row(".so file size", "—", "—", "bytes", {module.name: [module.module.stat().st_size] for module in modules})


def ssh_rows(logins_per_cell: int, janitor, work: Path, modules: list, user: str, secret) -> list:
    servers = []
    try:
        for module in modules:
            state_file = work / "state" / f"{module.slug}-ssh"
            servers.append(SshServer(work / f"sshd-{module.slug}", module, state_file, janitor, run_id=user).start())
        logins = SshLogins(work, Path(__file__).resolve().parent / "ssh_askpass.sh", user, secret)
        logins.trust(servers)
        cells = [(config, server) for config in CONFIGS for server in servers]
        samples = interleaved(logins_per_cell, cells, lambda config, server: logins.login(server, config))
    finally:
        for server in servers:
            server.stop()
    rows = []
    for config in CONFIGS:
        row = Row("ssh login end to end (wall time)", "sshd", str(config), "ns")
        for (cell_config, server), values in samples.items():
            if cell_config == config:
                row.samples[server.peer.name] = [seconds * 1e9 for seconds in values]
        rows.append(row)
    return rows


def decoy_rows(timing, rounds: int) -> list:
    """The refusal of a wrong code after a wrong and after the right
    password, per shipped stack; samples keyed "decoy" and "real"."""
    cells = [(stack, which) for stack in STACK_HOSTS for which in PASSWORDS]
    samples = interleaved(rounds, cells, timing.measure)
    rows = []
    for field, metric in METRICS:
        for stack, host in STACK_HOSTS.items():
            row = Row(metric, host, f"pam.d/{stack}", "ns")
            for which in PASSWORDS:
                row.samples[which] = [fields[field] for fields in samples[stack, which]]
            rows.append(row)
    return rows
