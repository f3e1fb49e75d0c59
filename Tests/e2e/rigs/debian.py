"""Debian's own configuration files, as Debian ships them, and the README's
recipes applied to them: the stacks an administrator ends up with.

- `stock_file` is a file exactly as its package ships it. A conffile under
  /etc is taken from /etc only if it is unmodified (dpkg's checksum);
  otherwise it comes from the package itself (`apt-get download`).
- `debian_stack` is Debian's /etc/pam.d/SERVICE with its
  `@include common-auth` line replaced by the lines of a pam.d/ recipe,
  every other line kept.
"""

import hashlib
import re
import subprocess
import tempfile
from pathlib import Path

from .pamstack import module_field, shipped

# What Debian's openssh-server installs as /etc/ssh/sshd_config (ucf keeps
# its pristine copy here).
STOCK_SSHD_CONFIG = Path("/usr/share/openssh/sshd_config")
COMMON_AUTH = "@include common-auth"


def _owning_package(path: Path) -> str:
    owner = subprocess.run(["dpkg-query", "-S", str(path)], capture_output=True, text=True, check=True).stdout
    return owner.split(":", 1)[0].strip()


def _conffile_md5(package: str, path: Path):
    listing = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}\n", package],
                             capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == str(path):
            return fields[1]
    return None


def _from_package(package: str, path: Path) -> str:
    """PATH as it is inside the package's .deb (downloaded from Debian)."""
    with tempfile.TemporaryDirectory(prefix="pam-otp-stock-") as directory:
        subprocess.run(["apt-get", "download", "-q", package], cwd=directory, check=True, capture_output=True)
        deb = next(Path(directory).glob("*.deb"))
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
        member = "." + str(path)
        return subprocess.run(["tar", "-xOf", "-", member], input=tar, capture_output=True, check=True).stdout.decode()


def stock_file(path: Path) -> str:
    """The file as Debian ships it (see the module's docstring)."""
    path = Path(path)
    if path == STOCK_SSHD_CONFIG:
        return path.read_text()
    package = _owning_package(path)
    expected = _conffile_md5(package, path)
    if expected is not None and path.exists() and hashlib.md5(path.read_bytes()).hexdigest() == expected:
        return path.read_text()
    return _from_package(package, path)


def with_recipe(stack: str, recipe: str, module=None) -> str:
    """STACK with its one `@include common-auth` line replaced by the
    non-comment lines of pam.d/RECIPE (the module field pointed at MODULE)."""
    lines = stack.splitlines()
    includes = [index for index, line in enumerate(lines) if line.strip() == COMMON_AUTH]
    assert len(includes) == 1, f"expected one '{COMMON_AUTH}' line:\n{stack}"
    added = [line for line in shipped(recipe, module).splitlines() if line.strip() and not line.startswith("#")]
    at = includes[0]
    return "\n".join(lines[:at] + added + lines[at + 1:]) + "\n"


def debian_stack(service: str, recipe: str, module=None) -> str:
    """Debian's /etc/pam.d/SERVICE with the README's recipe applied."""
    return with_recipe(stock_file(Path("/etc/pam.d") / service), recipe, module)


def kept_lines(stock: str, result: str) -> bool:
    """Every line of STOCK except the common-auth include is in RESULT, in
    the same order (the recipe added lines, it dropped none)."""
    wanted = [line for line in stock.splitlines() if line.strip() != COMMON_AUTH]
    remaining = iter(result.splitlines())
    return all(any(line == candidate for candidate in remaining) for line in wanted)


def modules(stack: str) -> list:
    return [module_field(line) for line in stack.splitlines() if module_field(line)]


def sshd_config_with_drop_in_dir(stock: str, drop_in_dir: Path) -> str:
    """Debian's sshd_config with its Include line pointed at DROP_IN_DIR
    instead of /etc/ssh/sshd_config.d, so a test never touches /etc/ssh."""
    text, count = re.subn(r"(?m)^Include /etc/ssh/sshd_config\.d/\*\.conf$", f"Include {drop_in_dir}/*.conf", stock)
    assert count == 1, "Debian's sshd_config no longer includes /etc/ssh/sshd_config.d/*.conf first"
    return text
