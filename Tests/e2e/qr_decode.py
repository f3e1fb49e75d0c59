"""Decodes otpctl's QR codes with zbar, an independent QR reader.

A PNG file is handed to `zbarimg` as it is. The terminal rendering (UTF-8
half blocks, each character two modules stacked vertically, wrapped in ANSI
colour codes) is turned back into a bitmap and written as a PNG with nothing
but zlib and struct, so that no imaging library stands between otpctl's
output and the reader.
"""

import re
import struct
import subprocess
import zlib
from pathlib import Path

ANSI_SGR = re.compile(r"\x1b\[([0-9;]*)m")

# Character -> (upper module dark, lower module dark).
HALF_BLOCKS = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True), "\u2588": (True, True)}


def strip_ansi(text: str) -> str:
    return ANSI_SGR.sub("", text)


def terminal_qr_lines(text: str) -> list[str]:
    """The raw lines of the first terminal QR code in `text`: lines that carry
    colour codes and show nothing but half blocks and spaces."""
    block = []
    for line in text.splitlines():
        visible = strip_ansi(line)
        if ANSI_SGR.search(line) and visible and set(visible) <= set(HALF_BLOCKS):
            block.append(line)
        elif block:
            break
    return block


def colour_parameters(line: str) -> set[str]:
    """The SGR parameters a line sets (e.g. {"30", "47"} for black on white)."""
    return {part for match in ANSI_SGR.finditer(line) for part in match.group(1).split(";") if part}


def modules_from_terminal(lines: list[str]) -> list[list[bool]]:
    """Each text line becomes two rows of modules (True: dark)."""
    rows = []
    for line in lines:
        visible = strip_ansi(line)
        rows.append([HALF_BLOCKS[c][0] for c in visible])
        rows.append([HALF_BLOCKS[c][1] for c in visible])
    widths = {len(row) for row in rows}
    assert len(widths) == 1, f"ragged QR lines: widths {sorted(widths)}"
    return rows


def png_from_modules(modules: list[list[bool]], scale: int = 4, margin: int = 4) -> bytes:
    """An 8-bit greyscale PNG (PNG spec: signature, IHDR, IDAT, IEND; every
    scanline prefixed with filter type 0), dark modules black, with an extra
    light margin of `margin` modules."""
    width = len(modules[0]) + 2 * margin
    height = len(modules) + 2 * margin
    light_row = b"\xff" * (width * scale)
    scanlines = []
    for y in range(height):
        source = y - margin
        if 0 <= source < len(modules):
            row = bytearray(b"\xff" * margin)
            row += bytes(0 if dark else 255 for dark in modules[source])
            row += b"\xff" * margin
            pixels = bytes(value for value in row for _ in range(scale))
        else:
            pixels = light_row
        scanlines += [b"\x00" + pixels] * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width * scale, height * scale, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(scanlines)))
        + chunk(b"IEND", b"")
    )


def zbar_decode(png: Path) -> list[str]:
    """Every symbol zbarimg finds in the image, as text."""
    result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True)
    assert result.returncode == 0, f"zbarimg found no QR code in {png}: {result.stderr.decode(errors='replace')}"
    return result.stdout.decode("utf-8").splitlines()


def decode_terminal_qr(text: str, directory: Path) -> list[str]:
    """Decodes the first terminal QR code in `text` via a PNG in `directory`."""
    lines = terminal_qr_lines(text)
    assert lines, "no terminal QR code in the output"
    path = directory / "terminal-qr.png"
    path.write_bytes(png_from_modules(modules_from_terminal(lines)))
    return zbar_decode(path)
