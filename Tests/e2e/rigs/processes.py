"""The process list, read from /proc as `ps` would show it to anyone."""

from pathlib import Path


def _read(pid_dir: Path, name: str) -> bytes | None:
    try:
        return (pid_dir / name).read_bytes()
    except OSError:
        return None  # the process ended meanwhile, or is a kernel thread


def command_lines() -> dict:
    """{pid: [argument, ...]} for every process."""
    lines = {}
    for entry in Path("/proc").glob("[0-9]*"):
        raw = _read(entry, "cmdline")
        if raw:
            lines[int(entry.name)] = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    return lines


def parent_of(pid: int) -> int | None:
    raw = _read(Path(f"/proc/{pid}"), "stat")
    if raw is None:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    text = raw.decode(errors="replace")
    return int(text[text.rindex(")") + 2:].split()[1])


def descends_from(pid: int, ancestor: int) -> bool:
    while pid and pid != ancestor:
        pid = parent_of(pid)
    return pid == ancestor


def running(program: str, under: int) -> list:
    """The argument lists of the processes of PROGRAM (by base name) that
    descend from process UNDER (others on the host are not the test's)."""
    return [arguments for pid, arguments in command_lines().items()
            if arguments and Path(arguments[0]).name == program and descends_from(pid, under)]


def with_argument(argument: str) -> list:
    """PIDs of the processes that have ARGUMENT among their arguments."""
    return [pid for pid, arguments in command_lines().items() if argument in arguments]


def showing(text: str) -> list:
    """(pid, "cmdline" or "environ") wherever TEXT can be read."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        for part in ("cmdline", "environ"):
            raw = _read(entry, part)
            if raw and text.encode() in raw:
                found.append((int(entry.name), part))
    return found
