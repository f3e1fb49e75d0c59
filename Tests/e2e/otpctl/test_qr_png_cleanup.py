"""otpctl enroll --qr-png --confirm: after a failed confirmation the PNG it
wrote is removed, and nothing else. The PNG's directory may be one the user
can write, so by the time of the clean-up its name may name something else;
otpctl (often root) must then leave that alone."""

import os
import stat

import pexpect
import pytest

from otpctl_support import EXIT_REFUSED


def start_confirm(otpctl_path, name, png):
    """otpctl waiting at the confirm prompt, after it has written the PNG."""
    child = pexpect.spawn(
        str(otpctl_path), ["enroll", name, "--qr", "none", "--confirm", "--qr-png", str(png)],
        encoding="utf-8", timeout=15,
    )
    child.expect("Enter the code your app shows: ")
    return child


def fail_confirmation(child):
    for attempt in range(3):
        child.sendline("not a code")
        if attempt < 2:
            child.expect("Enter the code your app shows: ")
    child.expect("the secret was not activated")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_REFUSED
    assert "Fatal error" not in child.before


def test_the_png_it_wrote_is_removed(users, otpctl_path, scratch_dir):
    account = users.create()
    png = scratch_dir / "qr.png"
    child = start_confirm(otpctl_path, account.pw_name, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(os.lstat(png).st_mode) == 0o600
    fail_confirmation(child)
    assert not os.path.lexists(png)
    assert os.listdir(scratch_dir) == [], "a temporary file was left behind"


def swap_for_directory(png, elsewhere):
    png.unlink()
    png.mkdir()
    (png / "keep").write_text("keep me\n")
    return lambda: png.is_dir() and (png / "keep").read_text() == "keep me\n"


def swap_for_symlink_to_directory(png, elsewhere):
    (elsewhere / "keep").write_text("keep me\n")
    png.unlink()
    png.symlink_to(elsewhere, target_is_directory=True)
    return lambda: png.is_symlink() and (elsewhere / "keep").read_text() == "keep me\n"


def swap_for_another_file(png, elsewhere):
    png.unlink()
    png.write_text("someone else's\n")
    return lambda: png.read_text() == "someone else's\n"


def swap_for_hard_link(png, elsewhere):
    victim = elsewhere / "victim"
    victim.write_text("keep me\n")
    png.unlink()
    os.link(victim, png)
    return lambda: victim.read_text() == "keep me\n" and os.path.samefile(png, victim)


@pytest.mark.parametrize(
    "swap", [swap_for_directory, swap_for_symlink_to_directory, swap_for_another_file, swap_for_hard_link]
)
def test_only_what_it_created_is_removed(users, otpctl_path, scratch_dir, tmp_path, swap):
    # The swap happens while otpctl waits at the prompt, before the wrong
    # codes that make it clean up: the order is fixed, no race to win.
    account = users.create()
    png = scratch_dir / "qr.png"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    child = start_confirm(otpctl_path, account.pw_name, png)
    intact = swap(png, elsewhere)
    fail_confirmation(child)
    assert intact(), f"{swap.__name__}: the clean-up removed what otpctl had not created"
    assert_no_secret_png(scratch_dir)


def assert_no_secret_png(directory):
    for entry in os.listdir(directory):
        path = directory / entry
        if path.is_file() and not path.is_symlink():
            assert path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n", f"{path}: a QR code was left behind"
