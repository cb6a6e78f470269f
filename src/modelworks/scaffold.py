"""``modelworks new service``: a working service as an installable package of its own.

The package it writes uses only ``modelworks.sdk``; once installed (``pip install -e``), its
entry point makes it one of the server's services with no change to modelworks.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates" / "service"
NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")


def check_name(name: str, taken: list[str]) -> None:
    """Raise ``ValueError`` saying why ``name`` cannot be a new service's name."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a service name: 2-31 lowercase letters, digits or "
                         "underscores, starting with a letter (it becomes a URL prefix, a "
                         "metrics label and a registry folder)")
    if name in taken:
        raise ValueError(f"a service called {name!r} is installed already")


def write_service(name: str, folder: Path, *, taken: list[str]) -> list[Path]:
    """Write the package for service ``name`` into ``folder`` (absent or empty); its files."""
    check_name(name, taken)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder} is not empty: choose a new folder")
    package = f"modelworks_{name}"
    values = {"name": name, "NAME": name.upper(), "package": package,
              "Class": "".join(part.capitalize() for part in name.split("_"))}
    written = []
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES).with_suffix("")
        target = folder / Path(*(package if part == "package" else part
                                 for part in relative.parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(template.read_text(encoding="utf-8")).substitute(values),
                          encoding="utf-8")
        written.append(target)
    return written
