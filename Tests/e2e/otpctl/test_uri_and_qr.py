"""otpctl, run as a program: uri, qr."""

import json
import os
import stat
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from otpctl_support import EXIT_IO, EXIT_OK, assert_fails
from qr_decode import colour_parameters, decode_terminal_qr, terminal_qr_lines, zbar_decode


@pytest.mark.parametrize(
    "options, digits, period, digest",
    [
        ([], 6, 30, "sha1"),
        (["--algorithm", "SHA256", "--digits", "8", "--period", "60"], 8, 60, "sha256"),
        (["--algorithm", "SHA512", "--digits", "7", "--period", "1"], 7, 1, "sha512"),
        (["--hotp"], 6, None, "sha1"),
        (["--hotp", "--algorithm", "SHA256", "--digits", "8"], 8, None, "sha256"),
    ],
)
def test_uri_is_read_right_by_pyotp(enroll, otpctl, options, digits, period, digest):
    enrolled = enroll(*options)
    result = otpctl("uri", enrolled.name, "--issuer", "Example", "--label", "alice@example.com")
    assert result.returncode == EXIT_OK, result.stderr
    otp = pyotp.parse_uri(result.stdout.strip())
    assert otp.secret == enrolled.file.secret
    assert (otp.digits, otp.digest().name, otp.issuer, otp.name) == (digits, digest, "Example", "alice@example.com")
    if period is None:
        assert isinstance(otp, pyotp.HOTP)
        assert otp.initial_count == 1  # the file's next counter
        assert otp.at(0) == otpctl("code", enrolled.name).stdout.strip()
    else:
        assert isinstance(otp, pyotp.TOTP)
        assert otp.interval == period
        assert otp.at(1_234_567_890) == otpctl("code", enrolled.name, "--at", 1_234_567_890).stdout.strip()


AWKWARD_NAMES = [
    "a:b", "a/b", "a#b", "a+b", "a&b=c?d", "with space", "jörg@müller.de", "日本", "100%", "%41",
    "Ex: Co/Dept #1 + x&y=z?", "emoji \U0001F511", "semi;colon", 'quote"s', "trailing ",
]


def split_uri(uri):
    """Issuer, account and query of an otpauth URI by the Key Uri Format,
    with Python's urllib (RFC 3986) instead of otpctl's own parser."""
    assert uri.isascii() and " " not in uri, uri
    parts = urlsplit(uri)
    assert (parts.scheme, parts.fragment) == ("otpauth", ""), uri
    raw_label = parts.path[1:]
    assert raw_label.count(":") == 1, f"the label must have exactly one literal ':' separator: {uri}"
    raw_issuer, raw_account = raw_label.split(":")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    return (
        unquote(raw_issuer, errors="strict"),
        unquote(raw_account, errors="strict"),
        {key: values[0] for key, values in query.items()},
    )


def test_awkward_issuers_and_labels_round_trip(enroll, otpctl):
    enrolled = enroll()
    secret = enrolled.file.secret
    for index, issuer in enumerate(AWKWARD_NAMES):
        label = AWKWARD_NAMES[(index + 5) % len(AWKWARD_NAMES)]
        result = otpctl("uri", enrolled.name, "--issuer", issuer, "--label", label)
        assert result.returncode == EXIT_OK, result.stderr
        label_issuer, account, query = split_uri(result.stdout.strip())
        assert (label_issuer, account) == (issuer, label), result.stdout
        assert query["issuer"] == issuer, result.stdout
        assert query["secret"] == secret


def test_enroll_uri_carries_awkward_names_too(users, otpctl, scratch_dir):
    account = users.create()
    png = scratch_dir / "enrol.png"
    issuer, label = "Ex: Co/Dept #1 + x&y=z?", "jörg@müller.de 日本"
    result = otpctl("enroll", account.pw_name, "--json", "--issuer", issuer, "--label", label, "--qr-png", png)
    assert result.returncode == EXIT_OK, result.stderr
    uri = json.loads(result.stdout)["uri"]
    assert split_uri(uri)[:2] == (issuer, label)
    assert zbar_decode(png) == [uri]


# --- qr ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", [[], ["--hotp", "--algorithm", "SHA512", "--digits", "8"], ["--algorithm", "SHA512", "--period", "45"]]
)
def test_qr_png_decodes_to_the_exact_uri(enroll, otpctl, scratch_dir, options):
    enrolled = enroll(*options)
    names = ("--issuer", "Example Co: Ops", "--label", "jörg@müller.de")
    uri = otpctl("uri", enrolled.name, *names).stdout.strip()
    png = scratch_dir / "qr.png"
    result = otpctl("qr", enrolled.name, "--png", png, *names)
    assert result.returncode == EXIT_OK, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(os.lstat(png).st_mode) == 0o600
    assert zbar_decode(png) == [uri]


def test_enroll_qr_png_is_private_and_decodes(users, otpctl, scratch_dir):
    account = users.create()
    png = scratch_dir / "enrol.png"
    png.write_bytes(b"old")
    png.chmod(0o644)
    result = otpctl("enroll", account.pw_name, "--json", "--qr-png", png)
    assert result.returncode == EXIT_OK, result.stderr
    assert stat.S_IMODE(os.lstat(png).st_mode) == 0o600  # it holds the secret
    assert zbar_decode(png) == [json.loads(result.stdout)["uri"]]


def test_terminal_qr_decodes_to_the_exact_uri(enroll, otpctl, scratch_dir):
    enrolled = enroll("--algorithm", "SHA256", "--digits", "8")
    names = ("--issuer", "a&b=c?d #x", "--label", "日本")
    uri = otpctl("uri", enrolled.name, *names).stdout.strip()
    result = otpctl("qr", enrolled.name, *names)
    assert result.returncode == EXIT_OK, result.stderr
    lines = terminal_qr_lines(result.stdout)
    # Dark modules are drawn black on white whatever the terminal's theme.
    assert all({"30", "47"} <= colour_parameters(line) for line in lines)
    assert decode_terminal_qr(result.stdout, scratch_dir) == [uri]


def test_qr_png_does_not_follow_a_symlink(enroll, otpctl, scratch_dir):
    enrolled = enroll()
    victim = scratch_dir / "victim"
    victim.write_text("precious\n")
    link = scratch_dir / "qr.png"
    link.symlink_to(victim)
    assert_fails(otpctl("qr", enrolled.name, "--png", link), EXIT_IO, str(link))
    assert victim.read_text() == "precious\n"


def test_qr_png_does_not_replace_a_device_or_a_fifo(enroll, otpctl, scratch_dir):
    # A rename over /dev/null would leave a regular file there for every
    # program of the host: anything that is not a regular file stays.
    enrolled = enroll()
    fifo = scratch_dir / "fifo"
    os.mkfifo(fifo)
    device = scratch_dir / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for target in (fifo, device):
        before = os.lstat(target)
        assert_fails(otpctl("qr", enrolled.name, "--png", target), EXIT_IO, "not a regular file")
        after = os.lstat(target)
        assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
    assert sorted(path.name for path in scratch_dir.iterdir() if path.name.startswith(".otpctl-")) == []
