"""otpctl status shows what the module recorded: the back-off it decided
with its own stack line's backoff= options (BACKOFF_UNTIL), not one
computed from the defaults, and the last success as the file keeps it.
The files are written by the release module inside the real libpam, and
read back by these tests' own parser (SecretFileText) to compare."""

import json
import time

from otpctl_support import EXIT_OK, SecretFileText
from rigs.codes import totp, wrong_totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def write_secret(store, name, *lines, scratch_codes=()):
    path = store / name
    path.write_text("\n".join([SECRET, *lines, *scratch_codes]) + "\n")
    path.chmod(0o600)
    return path


def status(otpctl, name, path):
    result = otpctl("status", name, "--secret-file", path, "--json")
    assert result.returncode == EXIT_OK, result.stderr
    return json.loads(result.stdout)


def test_the_back_off_the_module_recorded_not_the_defaults(users, otpctl, store, module_login):
    # One wrong code on a line with backoff=600 backoff_after=1: a ten-minute
    # wait. The defaults (30 s after three) would call for none at all.
    name = users.create().pw_name
    path = write_secret(store, name, '" DISALLOW_REUSE', '" TOTP_AUTH')
    options = (f"secret={store}/${{USER}}", "backoff=600", "backoff_after=1")
    assert not module_login(name, wrong_totp(SECRET), *options).authenticated
    file = SecretFileText.read(path)
    [failures, last] = map(int, file.option("FAILURES"))
    [until] = map(int, file.option("BACKOFF_UNTIL"))
    assert failures == 1 and until == last + 600

    shown = status(otpctl, name, path)
    assert (shown["failures"], shown["last_failure"]) == (1, last)
    assert (shown["backoff_until"], shown["backoff_source"]) == (until, "recorded")
    text = otpctl("status", name, "--secret-file", path).stdout
    assert "wrong codes:     1 in a row" in text
    assert "as the module recorded it; otpctl unlock ends it" in text, text


def test_a_file_without_the_record_gets_an_estimate_that_says_so(users, otpctl, store):
    # Four wrong codes written before the module kept BACKOFF_UNTIL: the
    # default options give 30 s after the third, 60 s after the fourth.
    name = users.create().pw_name
    last = int(time.time()) - 10
    path = write_secret(store, name, '" TOTP_AUTH', f'" FAILURES 4 {last}')
    shown = status(otpctl, name, path)
    assert (shown["backoff_until"], shown["backoff_source"]) == (last + 60, "default_options")
    text = otpctl("status", name, "--secret-file", path).stdout
    assert "with the default backoff= options" in text and "the file has no BACKOFF_UNTIL" in text, text


def test_a_back_off_that_has_ended_is_not_shown(users, otpctl, store):
    # The defaults would still see one (60 s after four wrong codes), but
    # the module's own record says it is over.
    name = users.create().pw_name
    now = int(time.time())
    path = write_secret(store, name, '" TOTP_AUTH', f'" FAILURES 4 {now - 10}', f'" BACKOFF_UNTIL {now - 5}')
    shown = status(otpctl, name, path)
    assert shown["failures"] == 4 and shown["backoff_until"] is None and shown["backoff_source"] is None
    assert "back-off:" not in otpctl("status", name, "--secret-file", path).stdout


def test_the_last_success_and_its_host_as_the_module_wrote_them(users, otpctl, store, module_login):
    name = users.create().pw_name
    path = write_secret(store, name, '" DISALLOW_REUSE', '" TOTP_AUTH')
    assert status(otpctl, name, path)["last_success"] is None
    options = (f"secret={store}/${{USER}}", "grace_period=3600", "notify=/usr/bin/true")
    assert module_login(name, totp(SECRET), *options, rhost="192.0.2.44").authenticated
    file = SecretFileText.read(path)
    [host, at] = file.option("LAST0")
    assert file.option("KNOWN_HOSTS") == ["192.0.2.44"]
    shown = status(otpctl, name, path)
    assert shown["last_success"] == {"time": int(at), "time_source": "grace_period", "host": host,
                                     "host_source": "grace_period"}
    assert f"from 192.0.2.44 (LAST entry of grace_period=)" in otpctl("status", name, "--secret-file", path).stdout


def test_without_grace_period_the_used_code_and_known_hosts_tell_it(users, otpctl, store, module_login):
    name = users.create().pw_name
    path = write_secret(store, name, '" DISALLOW_REUSE', '" TOTP_AUTH')
    before = int(time.time())
    options = (f"secret={store}/${{USER}}", "notify=/usr/bin/true")
    assert module_login(name, totp(SECRET), *options, rhost="host-a.example").authenticated
    file = SecretFileText.read(path)
    [step] = map(int, file.option("DISALLOW_REUSE"))
    shown = status(otpctl, name, path)["last_success"]
    assert shown == {"time": step * 30, "time_source": "used_step", "host": "host-a.example",
                     "host_source": "known_hosts"}
    # The step of the code typed: within the window (one step) of the login.
    assert abs(shown["time"] - before) <= 60
