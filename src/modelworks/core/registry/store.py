"""Where a registry keeps its versions and aliases: the interface a ``Registry`` works through.

Two stores implement it: ``LocalStore`` (a folder on this machine, or a shared POSIX file
system) and ``RemoteStore`` (any fsspec URL: S3 and S3-compatible stores, GCS, Azure, ...).
The ``Registry`` holds the rules (what may go live, what rollback walks back through, when a
version counts as broken); a store only stores, atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Protocol

from modelworks.core.registry.manifest import Manifest

LiveState = dict[str, Any]
"""The live alias of one service: ``{"version": N, "history": [earlier live versions]}``."""

Describe = Callable[[int, dict[str, str]], Manifest]
"""Makes the manifest of a new version from its number and its files' hashes."""


class Store(Protocol):
    """Storage of versions (immutable folders with a manifest) and one live alias per service."""

    location: str
    """Where the registry is (a folder or a URL), as messages and listings show it."""

    def services(self) -> list[str]:
        """Services with anything stored."""
        ...

    def version_numbers(self, service: str) -> list[int]:
        """Numbers of the versions of ``service`` that were written whole, oldest first."""
        ...

    def version_location(self, service: str, version: int) -> str:
        """Where one version's files are (a folder or a URL)."""
        ...

    def read_manifest(self, service: str, version: int) -> bytes:
        """The stored manifest; ``NotFound`` for no such version, ``RegistryError`` if unread."""
        ...

    def stamp(self, service: str, version: int, names: Collection[str]) -> tuple[Any, ...]:
        """A value that changes whenever one of the named files (or the manifest) may have."""
        ...

    def verified_folder(self, manifest: Manifest) -> Path:
        """A local folder holding the version's files, each checked against its hash."""
        ...

    def read_live(self, service: str) -> LiveState | None:
        """The live alias, or ``None`` before the first promotion."""
        ...

    def change_live(self, service: str,
                    change: Callable[[LiveState | None], LiveState]) -> LiveState:
        """Replace the alias with ``change(current)`` atomically; the state written.

        Two writers never both act on the same ``current``: one of them sees the other's
        result (``change`` may then be called again). An exception from ``change`` leaves the
        alias as it was.
        """
        ...

    def publish(self, service: str, write: Callable[[Path], None],
                describe: Describe) -> Manifest:
        """Store a new version whose files ``write(folder)`` produces, under a fresh number.

        A version is seen whole or not at all, and no two writers get the same number.
        """
        ...
