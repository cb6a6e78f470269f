"""The layers the architecture promises, checked on the source: a service is written against
``modelworks.sdk`` and ``modelworks.core`` and never reaches into the server."""

from __future__ import annotations

import ast
from pathlib import Path

import modelworks

PACKAGE = Path(modelworks.__file__).parent


def imported_modules(folder: Path) -> dict[str, set[str]]:
    """Every module each file under ``folder`` imports (absolute names)."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE))] = names
    return found


def offenders(folder: Path, forbidden: str) -> list[str]:
    return sorted(f"{path}: {name}" for path, names in imported_modules(folder).items()
                  for name in names if name == forbidden or name.startswith(forbidden + "."))


def test_services_import_nothing_from_the_server() -> None:
    assert offenders(PACKAGE / "services", "modelworks.server") == []


def test_the_sdk_and_the_core_import_nothing_from_the_server_or_a_service() -> None:
    for layer in ("sdk", "core"):
        for forbidden in ("modelworks.server", "modelworks.services", "modelworks.dashboard"):
            assert offenders(PACKAGE / layer, forbidden) == [], (layer, forbidden)


def test_the_dashboard_imports_no_service_and_nothing_of_the_server() -> None:
    assert offenders(PACKAGE / "dashboard", "modelworks.services") == []
    assert offenders(PACKAGE / "dashboard", "modelworks.server") == []


def test_the_client_imports_no_service_and_nothing_of_the_server_or_the_cli() -> None:
    """A client runs where no service is installed, and the dashboard is built on it."""
    for forbidden in ("modelworks.server", "modelworks.services", "modelworks.dashboard",
                      "modelworks.cli"):
        assert offenders(PACKAGE / "client", forbidden) == [], forbidden
