"""otpctl status --all, run as a program, over a store with users in every
state: enrolled TOTP and HOTP, in a back-off the module recorded and in
one without the record, with wrong codes, with scratch codes used up, with
a delivery address, after a remote login, and files that cannot be used.
Most states are written by the release module inside the real libpam;
every value shown is checked against what the file holds, read by these
tests' own parser (SecretFileText)."""

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from otpctl_support import EXIT_NOT_ENROLLED, EXIT_OK, EXIT_PERMISSION, SecretFileText, assert_fails
from rigs.codes import hotp, totp, wrong_totp
from rigs.pamstack import pamtester, private_service_dir, unique_service

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HEADER = ["USER", "TOKEN", "LAST SUCCESS", "FROM", "WRONG", "BACKOFF UNTIL", "SCRATCH", "DELIVERY"]
UTC = {**os.environ, "TZ": "UTC"}


@dataclass
class Store:
    directory: Path
    names: dict  # state -> file name
    started: int

    def path(self, state):
        return self.directory / self.names[state]

    def file(self, state):
        return SecretFileText.read(self.path(state))


@pytest.fixture(scope="module")
def store(module_users, otpctl_path, module_path, tmp_path_factory):
    directory = tmp_path_factory.mktemp("status-all") / "store"
    directory.mkdir(mode=0o700)
    services = private_service_dir(tmp_path_factory.mktemp("pam-services"), {})
    names = {}

    def user(state):
        names[state] = module_users.create(prefix="sta").pw_name
        return names[state]

    def enroll(state, *options):
        name = user(state)
        subprocess.run([str(otpctl_path), "enroll", name, "--secret-file", str(directory / name), "--qr", "none",
                        *options], check=True, capture_output=True)
        return name

    def login(name, answer, *options, rhost=None):
        service = unique_service("otpctl-all")
        line = ["auth", "required", str(module_path), f"secret={directory}/${{USER}}", *options]
        (services / service).write_text(" ".join(line) + "\n")
        return pamtester(services, service, name, [answer], items={"rhost": rhost} if rhost else None)

    def write(state, *lines):
        name = user(state)
        (directory / name).write_text("\n".join([SECRET, *lines]) + "\n")
        (directory / name).chmod(0o600)

    started = int(time.time())
    enroll("totp")
    enroll("hotp", "--hotp", "--algorithm", "SHA256", "--digits", "8")
    def secret(name):
        return SecretFileText.read(directory / name).secret

    name = enroll("recorded")
    # backoff=600 backoff_after=1: one wrong code, ten minutes (the defaults: none).
    assert not login(name, wrong_totp(secret(name)), "backoff=600", "backoff_after=1").authenticated
    # Six wrong codes from before the module kept BACKOFF_UNTIL: by the
    # default options, 240 s after the last (time enough for a slow run).
    write("estimated", '" RATE_LIMIT 3 30', '" TOTP_AUTH', f'" FAILURES 6 {started - 10}', "12345678")
    name = enroll("wrong")
    for _ in range(2):  # two: the defaults call for no wait yet
        assert not login(name, wrong_totp(secret(name))).authenticated
    name = enroll("scratch", "--scratch-codes", "1")
    [code] = SecretFileText.read(directory / name).scratch_codes
    assert login(name, code).authenticated
    enroll("delivery", "--deliver", "email:someone@example.com")
    name = enroll("remote")
    assert login(name, totp(secret(name)), "grace_period=3600", "notify=/usr/bin/true", rhost="192.0.2.44").authenticated
    name = enroll("local")  # a success with no remote host and no grace_period=
    assert login(name, totp(secret(name))).authenticated
    name = enroll("hotp-used", "--hotp", "--no-rate-limit")
    assert login(name, hotp(secret(name), 1), "notify=/usr/bin/true", rhost="host-b.example").authenticated
    write("malformed", '" WINDOW_SIZE 0', '" TOTP_AUTH')
    write("unsafe", '" TOTP_AUTH')
    (directory / names["unsafe"]).chmod(0o644)
    (directory / "nosuchuser-otpctl").write_text(SECRET + '\n" TOTP_AUTH\n')
    (directory / "nosuchuser-otpctl").chmod(0o600)
    names["no-user"] = "nosuchuser-otpctl"
    # The store's own temporary files are no one's: never listed.
    (directory / f".{names['totp']}.update~").write_text("")
    return Store(directory, names, started)


def listing(otpctl, store, *options):
    result = otpctl("status", "--all", "--secret-dir", store.directory, *options, env=UTC)
    assert result.returncode == EXIT_OK, result.stderr
    return result


def as_json(otpctl, store, *options):
    shown = json.loads(listing(otpctl, store, "--json", *options).stdout)
    return shown, {user["user"]: user for user in shown["users"]}


def masked(address):
    return f"{address[0]}***{address[address.rindex('@'):]}"


def default_backoff_end(failures, last):
    """The module's default options: 30 s after the third wrong code in a row, doubling."""
    return last + 30 * 2 ** (failures - 3) if failures >= 3 else None


# --- JSON ------------------------------------------------------------------------------


def test_json_lists_every_file_once_sorted_by_user(otpctl, store):
    shown, users = as_json(otpctl, store)
    assert shown["secret_dir"] == str(store.directory)
    assert store.started <= shown["time"] <= time.time()
    assert [user["user"] for user in shown["users"]] == sorted(store.names.values())


def test_json_agrees_with_each_usable_file(otpctl, store):
    shown, users = as_json(otpctl, store)
    for state, name in store.names.items():
        if state in ("malformed", "unsafe", "no-user"):
            continue
        file, user = store.file(state), users[name]
        assert user["secret_file"] == str(store.path(state))
        assert user["type"] == ("hotp" if file.option("HOTP_COUNTER") else "totp"), state
        assert user["algorithm"] == (file.option("ALGORITHM") or ["SHA1"])[0]
        assert user["digits"] == int((file.option("DIGITS") or ["6"])[0])
        assert user["scratch_codes_left"] == len(file.scratch_codes), state
        failures = file.option("FAILURES")
        assert user["failures"] == (int(failures[0]) if failures else 0), state
        assert user["last_failure"] == (int(failures[1]) if failures else None), state
        deliver = file.option("DELIVER")
        assert user["deliver"] == (f"email:{masked(deliver[0].split(':', 1)[1])}" if deliver else None), state
        record = file.option("BACKOFF_UNTIL")
        if record:
            assert (user["backoff_until"], user["backoff_source"]) == (int(record[0]), "recorded"), state
        elif failures and default_backoff_end(int(failures[0]), int(failures[1])):
            end = default_backoff_end(int(failures[0]), int(failures[1]))
            assert (user["backoff_until"], user["backoff_source"]) == (end, "default_options"), state
        else:
            assert (user["backoff_until"], user["backoff_source"]) == (None, None), state


def test_json_states(otpctl, store):
    _, users = as_json(otpctl, store)
    user = lambda state: users[store.names[state]]
    assert (user("totp")["type"], user("totp")["period"], user("totp")["failures"]) == ("totp", 30, 0)
    assert user("totp")["last_success"] is None
    assert (user("hotp")["type"], user("hotp")["algorithm"], user("hotp")["digits"]) == ("hotp", "SHA256", 8)
    assert user("recorded")["backoff_source"] == "recorded"
    [until] = store.file("recorded").option("BACKOFF_UNTIL")
    [_, last] = store.file("recorded").option("FAILURES")
    assert int(until) == int(last) + 600, "not the stack's backoff=600"
    assert user("estimated")["backoff_source"] == "default_options"
    assert user("estimated")["backoff_until"] == store.started - 10 + 240
    assert (user("wrong")["failures"], user("wrong")["backoff_until"]) == (2, None)
    assert user("scratch")["scratch_codes_left"] == 0
    assert user("delivery")["deliver"] == "email:s***@example.com"
    [host, at] = store.file("remote").option("LAST0")
    assert user("remote")["last_success"] == {
        "time": int(at), "time_source": "grace_period", "host": "192.0.2.44", "host_source": "grace_period"}
    # HOTP keeps no time; KNOWN_HOSTS still says where from.
    assert store.file("hotp-used").option("KNOWN_HOSTS") == ["host-b.example"]
    assert user("hotp-used")["last_success"] == {
        "time": None, "time_source": None, "host": "host-b.example", "host_source": "known_hosts"}
    # A scratch code uses no time step: nothing tells when.
    assert store.file("scratch").option("DISALLOW_REUSE") == [] and user("scratch")["last_success"] is None


def test_json_gives_each_unusable_file_with_its_error(otpctl, store):
    _, users = as_json(otpctl, store)
    malformed, unsafe, no_user = (users[store.names[state]] for state in ("malformed", "unsafe", "no-user"))
    assert (malformed["exit_code"], malformed["meaning"]) == (65, "malformed or unsafe secret file")
    assert "line 2" in malformed["error"] and str(store.path("malformed")) in malformed["error"]
    assert unsafe["exit_code"] == 65 and "has mode 0644" in unsafe["error"]
    assert no_user["exit_code"] == 67 and "no such user" in no_user["error"]
    for entry in (malformed, unsafe, no_user):
        assert set(entry) == {"user", "secret_file", "error", "exit_code", "meaning"}


# --- the table -------------------------------------------------------------------------


def table(text):
    """The rows of the table, split at the header's columns: every row must
    fit them (aligned), or a cell would spill into the next."""
    lines = text.split("\n")
    header = lines[0]
    starts = [header.index(title) for title in HEADER]
    assert starts == sorted(starts)
    rows = []
    for line in lines[1:]:
        if not line:
            break
        for start in starts[1:]:
            assert line[start - 2:start] in ("  ", " " * 2), f"not aligned at {start}:\n{text}"
        cells = [line[start:end].strip() for start, end in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(HEADER, cells)))
    return rows, lines


def test_table_is_aligned_plain_text_with_a_row_per_file(otpctl, store):
    text = listing(otpctl, store).stdout
    assert "\x1b" not in text, "escape sequences in a pipe"
    assert not any(line != line.rstrip() for line in text.split("\n")), "trailing spaces"
    rows, lines = table(text)
    by_user = {row["USER"]: row for row in rows}
    assert list(by_user) == sorted(store.names.values())
    row = lambda state: by_user[store.names[state]]
    assert row("totp")["TOKEN"] == "TOTP SHA1 6/30s" and row("totp")["LAST SUCCESS"] == "-"
    assert row("hotp")["TOKEN"] == "HOTP SHA256 8"
    [until] = store.file("recorded").option("BACKOFF_UNTIL")
    assert row("recorded")["BACKOFF UNTIL"] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(until)))
    estimated = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(store.started - 10 + 240))
    assert row("estimated")["BACKOFF UNTIL"] == estimated + "*"
    assert (row("estimated")["WRONG"], row("wrong")["WRONG"], row("wrong")["BACKOFF UNTIL"]) == ("6", "2", "-")
    assert row("scratch")["SCRATCH"] == "0" and row("totp")["SCRATCH"] == "5"
    assert row("delivery")["DELIVERY"] == "email:s***@example.com"
    [_, at] = store.file("remote").option("LAST0")
    assert row("remote")["LAST SUCCESS"] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(at)))
    assert row("remote")["FROM"] == "192.0.2.44"
    assert (row("hotp-used")["LAST SUCCESS"], row("hotp-used")["FROM"]) == ("-", "host-b.example")
    [step] = store.file("local").option("DISALLOW_REUSE")
    assert row("local")["LAST SUCCESS"] == "~" + time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(step) * 30))
    assert row("local")["FROM"] == "-"
    for state in ("malformed", "unsafe", "no-user"):
        assert row(state)["TOKEN"] == "UNUSABLE"


def test_table_says_what_marks_and_unusable_files_mean(otpctl, store):
    text = listing(otpctl, store).stdout
    assert "* the file has no BACKOFF_UNTIL: computed with the default backoff= options" in text
    assert "~ about: the time of the newest used code (DISALLOW_REUSE), within the code window." in text
    assert "Secret files that cannot be used:" in text
    assert f"  {store.names['malformed']}: {store.path('malformed')}: line 2" in text
    assert f"  {store.names['unsafe']}: {store.path('unsafe')}: unsafe secret file: has mode 0644" in text
    summary = text.rstrip("\n").split("\n")[-1]
    assert re.fullmatch(
        rf"13 secret files in {re.escape(str(store.directory))} at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC: "
        r"2 in a back-off, 3 with wrong codes, 1 without scratch codes, 3 unusable\.", summary), summary


def test_table_on_a_terminal_is_styled_unless_no_color(otpctl_path, store):
    def run(**environment):
        child = pexpect.spawn(str(otpctl_path), ["status", "--all", "--secret-dir", str(store.directory)],
                              env={**UTC, "TERM": "xterm", **environment}, encoding="utf-8", timeout=15)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == EXIT_OK, child.before
        return child.before

    styled = run()
    assert "\x1b[1mUSER" in styled and "\x1b[31mUNUSABLE" in styled
    assert "\x1b" not in run(NO_COLOR="1")


# --- order -----------------------------------------------------------------------------


def order(otpctl, store, *options):
    shown = json.loads(listing(otpctl, store, "--json", *options).stdout)
    states = {name: state for state, name in store.names.items()}
    return [states[user["user"]] for user in shown["users"]]


def test_sort_by_failures_puts_the_most_first_and_unusable_files_last(otpctl, store):
    states = order(otpctl, store, "--sort", "failures")
    assert states[:3] == ["estimated", "wrong", "recorded"]
    assert set(states[-3:]) == {"malformed", "unsafe", "no-user"}


def test_sort_by_backoff_puts_the_one_ending_last_first(otpctl, store):
    assert order(otpctl, store, "--sort", "backoff")[:2] == ["recorded", "estimated"]


def test_sort_by_scratch_puts_the_fewest_first(otpctl, store):
    states = order(otpctl, store, "--sort", "scratch")
    assert states[0] == "scratch" and states[1] == "estimated"  # 0, then 1 left


def test_sort_by_last_success_puts_the_latest_first(otpctl, store):
    states = order(otpctl, store, "--sort", "last-success")
    assert states[:2] == ["local", "remote"] or states[:2] == ["remote", "local"]
    first, second = (as_json(otpctl, store)[1][store.names[state]]["last_success"]["time"] for state in states[:2])
    assert first >= second
    # Then those whose file keeps no time of it, then the unusable files.
    assert set(states[-3:]) == {"malformed", "unsafe", "no-user"}


def test_reverse_turns_the_whole_order_round(otpctl, store):
    forward = order(otpctl, store, "--sort", "failures")
    assert order(otpctl, store, "--sort", "failures", "--reverse") == forward[::-1]


# --- the store itself ------------------------------------------------------------------


def test_a_missing_store_is_an_error(otpctl, tmp_path):
    assert_fails(otpctl("status", "--all", "--secret-dir", tmp_path / "none"), EXIT_NOT_ENROLLED, "no such directory")


def test_only_root_lists_every_user(users, otpctl, store):
    account = users.create()
    result = otpctl("status", "--all", "--secret-dir", store.directory, user=account.pw_name)
    assert_fails(result, EXIT_PERMISSION, "only root")


def test_an_empty_store(otpctl, tmp_path):
    directory = tmp_path / "empty"
    directory.mkdir(mode=0o700)
    result = otpctl("status", "--all", "--secret-dir", directory)
    assert (result.returncode, result.stdout) == (EXIT_OK, f"No secret files in {directory}.\n")
    shown = json.loads(otpctl("status", "--all", "--secret-dir", directory, "--json").stdout)
    assert shown["users"] == []


def test_the_default_store(users, otpctl_path):
    # /var/lib as a private tmpfs in a mount namespace of its own:
    # the machine's real store is neither read nor changed.
    account = users.create()
    script = (
        "mount -t tmpfs -o mode=0755 tmpfs /var/lib || exit 99\n"
        "mkdir -m 0700 /var/lib/pam_otp\n"
        f"printf '{SECRET}\\n\" TOTP_AUTH\\n' > /var/lib/pam_otp/{account.pw_name}\n"
        f"chmod 600 /var/lib/pam_otp/{account.pw_name}\n"
        f"{otpctl_path} status --all --json"
    )
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            capture_output=True, text=True)
    if result.returncode == 99:
        pytest.skip(f"cannot mount a private /var/lib/pam_otp here: {result.stderr.strip()}")
    assert result.returncode == EXIT_OK, result.stderr
    shown = json.loads(result.stdout)
    assert shown["secret_dir"] == "/var/lib/pam_otp"
    assert [user["user"] for user in shown["users"]] == [account.pw_name]


# --- Prometheus ------------------------------------------------------------------------


def prometheus(otpctl, store, *options):
    text = listing(otpctl, store, "--prometheus", *options).stdout
    return text, metric_families(text)


def metric_families(text):
    """The samples by metric and user, read by the Python client's own
    parser of the text format, after Prometheus's promtool accepted it."""
    from prometheus_client.parser import text_string_to_metric_families

    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, f"promtool: {checked.stdout}{checked.stderr}\n{text}"
    families = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family
        assert family.documentation, family
        samples = {}
        for sample in family.samples:
            assert sample.labels["user"] not in samples, f"two samples of {family.name} for one user"
            samples[sample.labels["user"]] = sample
        families[family.name] = samples
    return families


def test_prometheus_metrics_are_accepted_and_agree_with_the_files(otpctl, store):
    text, families = prometheus(otpctl, store)
    assert set(families) == {
        "pam_otp_enrolled", "pam_otp_file_unusable", "pam_otp_token_info", "pam_otp_failures",
        "pam_otp_last_failure_seconds", "pam_otp_backoff_until_seconds", "pam_otp_backoff_estimated",
        "pam_otp_scratch_codes_remaining", "pam_otp_last_success_seconds",
    }
    value = lambda metric, state: families[metric][store.names[state]].value
    everyone = set(store.names.values())
    assert set(families["pam_otp_enrolled"]) == everyone == set(families["pam_otp_file_unusable"])
    unusable = {store.names[state] for state in ("malformed", "unsafe", "no-user")}
    assert {user for user, sample in families["pam_otp_file_unusable"].items() if sample.value == 1} == unusable
    usable = everyone - unusable
    for metric in ("pam_otp_token_info", "pam_otp_failures", "pam_otp_backoff_until_seconds",
                   "pam_otp_backoff_estimated", "pam_otp_scratch_codes_remaining"):
        assert set(families[metric]) == usable, metric
    for state, name in store.names.items():
        if name in unusable:
            continue
        file = store.file(state)
        assert value("pam_otp_scratch_codes_remaining", state) == len(file.scratch_codes)
        failures = file.option("FAILURES")
        assert value("pam_otp_failures", state) == (int(failures[0]) if failures else 0)
        if failures:
            assert value("pam_otp_last_failure_seconds", state) == int(failures[1])
        else:
            assert name not in families["pam_otp_last_failure_seconds"]
    [until] = store.file("recorded").option("BACKOFF_UNTIL")
    assert value("pam_otp_backoff_until_seconds", "recorded") == int(until)
    assert value("pam_otp_backoff_estimated", "recorded") == 0
    assert value("pam_otp_backoff_until_seconds", "estimated") == store.started - 10 + 240
    assert value("pam_otp_backoff_estimated", "estimated") == 1
    assert value("pam_otp_backoff_until_seconds", "totp") == 0
    [_, at] = store.file("remote").option("LAST0")
    assert value("pam_otp_last_success_seconds", "remote") == int(at)
    assert store.names["totp"] not in families["pam_otp_last_success_seconds"], "no record, no made-up time"
    [step] = store.file("local").option("DISALLOW_REUSE")
    assert value("pam_otp_last_success_seconds", "local") == int(step) * 30
    hotp = families["pam_otp_token_info"][store.names["hotp"]].labels
    assert hotp == {"user": store.names["hotp"], "type": "hotp", "algorithm": "SHA256", "digits": "8", "period": "",
                    "delivery": ""}
    assert families["pam_otp_token_info"][store.names["delivery"]].labels["delivery"] == "email"
    assert "someone" not in text and "example.com" not in text, "an address in the metrics"


def test_prometheus_label_values_are_escaped(otpctl, tmp_path):
    # File names no user can have: a quote, a backslash, bytes that are not
    # UTF-8. Each is listed as unusable, once, under a label the format takes.
    directory = tmp_path / "odd"
    directory.mkdir(mode=0o700)
    for name in (b'a"b', b"c\\d", b"e\xfff", b"e%FFf"):
        path = os.path.join(bytes(directory), name)
        with open(path, "wb") as file:
            file.write(SECRET.encode() + b'\n" TOTP_AUTH\n')
        os.chmod(path, 0o600)
    result = otpctl("status", "--all", "--secret-dir", directory, "--prometheus")
    assert result.returncode == EXIT_OK, result.stderr
    assert 'pam_otp_file_unusable{user="a\\"b"} 1' in result.stdout
    assert 'pam_otp_file_unusable{user="c\\\\d"} 1' in result.stdout
    families = metric_families(result.stdout)
    assert set(families["pam_otp_enrolled"]) == {'a"b', "c\\d", "e%FFf", "e%25FFf"}


def test_output_replaces_the_file_atomically_and_readable_to_node_exporter(otpctl, store, tmp_path):
    collector = tmp_path / "textfile"
    collector.mkdir()
    target = collector / "pam_otp.prom"
    target.write_text("old\n")
    old_inode = target.stat().st_ino
    result = otpctl("status", "--all", "--secret-dir", store.directory, "--prometheus", "--output", target)
    assert (result.returncode, result.stdout, result.stderr) == (EXIT_OK, "", "")
    info = target.stat()
    assert info.st_ino != old_inode, "written in place, not renamed over"
    assert oct(info.st_mode & 0o777) == oct(0o644) and info.st_uid == 0
    assert sorted(os.listdir(collector)) == ["pam_otp.prom"], "a temporary file was left"
    metric_families(target.read_text())


def test_output_with_json_and_text(otpctl, store, tmp_path):
    target = tmp_path / "status.json"
    assert listing(otpctl, store, "--json", "--output", target).stdout == ""
    assert json.loads(target.read_text())["secret_dir"] == str(store.directory)
    table = tmp_path / "status.txt"
    assert listing(otpctl, store, "--output", table).stdout == ""
    text = table.read_text()
    assert text.startswith("USER ") and text.endswith(".\n") and "\x1b" not in text


def test_the_readme_documents_every_metric_and_its_rules_are_valid(otpctl, store, tmp_path):
    text = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = text[text.index("### Metrics for Prometheus"):text.index("## What the module returns and logs")]
    _, families = prometheus(otpctl, store)
    assert set(re.findall(r"^\| `(pam_otp_\w+)` \|", section, re.M)) == set(families)
    rules = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert set(re.findall(r"\b(pam_otp_\w+)", rules)) <= set(families)
    (tmp_path / "rules.yml").write_text(rules)
    checked = subprocess.run(["promtool", "check", "rules", tmp_path / "rules.yml"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
