"""Versioned model registry: immutable, hash-verified versions and one live alias per service.

Where versions are kept is a store (``store.py``): a folder (``local.py``, the default) or
any fsspec URL such as ``s3://bucket/prefix`` (``remote.py``). This class holds the rules
they share: the alias moves only to a version whose every file matches its hash, rollback
walks back through earlier live versions and passes over broken ones, and a verdict on a
version is recomputed only when the store says one of its files may have changed.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelworks.core.errors import BrokenVersion, NotFound, RegistryError
from modelworks.core.registry.local import LocalStore
from modelworks.core.registry.manifest import Manifest, library_versions, sha256_file
from modelworks.core.registry.store import LiveState, Store

if TYPE_CHECKING:
    from modelworks.core.settings import Settings

__all__ = ["Manifest", "Registry", "library_versions", "local_path", "sha256_file"]

_HISTORY_KEPT = 50


class Registry:
    """Model versions of every service, in a folder or at a URL.

    ``location``: a folder (``Path`` or plain string), a ``file://`` URL, or any other fsspec
    URL; a registry at a URL copies the versions it loads into ``cache_dir``.
    """

    def __init__(self, location: Path | str, *, cache_dir: Path | None = None) -> None:
        self._store = _open_store(location, cache_dir)
        self.location = self._store.location
        # Verdicts of earlier checks, keyed by what the store says of every file: a listing
        # re-hashes a version only when one of its files changed.
        self._checked: dict[tuple[str, int], tuple[tuple[Any, ...], str | None]] = {}
        self._checked_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        """The registry ``MODELWORKS_REGISTRY_URL`` names (default: ``registry`` in home)."""
        return cls(settings.registry_url or settings.registry_dir,
                   cache_dir=settings.registry_cache_dir)

    @property
    def root(self) -> Path:
        """The registry's folder; ``RegistryError`` for one at a URL, which has none here."""
        if isinstance(self._store, LocalStore):
            return self._store.root
        raise RegistryError(f"the registry at {self.location} is not a folder on this machine")

    # -- reading -----------------------------------------------------------------------------
    def services(self) -> list[str]:
        """Services that have anything in the registry."""
        return self._store.services()

    def version_numbers(self, service: str) -> list[int]:
        """Every version of ``service``, readable or not, oldest first."""
        return self._store.version_numbers(service)

    def versions(self, service: str) -> list[Manifest]:
        """Every version of ``service`` whose manifest reads, oldest first (see ``problem``)."""
        manifests = []
        for number in self.version_numbers(service):
            with contextlib.suppress(RegistryError, NotFound):
                manifests.append(self.manifest(service, number))
        return manifests

    def version_location(self, service: str, version: int) -> str:
        """Where a version's files are stored: a folder, or a URL."""
        return self._store.version_location(service, version)

    def problem(self, service: str, version: int) -> str | None:
        """Why a version cannot be served (unreadable manifest, missing or changed file), or None.

        Hashes every file the first time and again only after one of them changed (on a
        registry at a URL, "hashing" means fetching the version into this machine's cache).
        """
        try:
            manifest = self.manifest(service, version)
            stamp = self._store.stamp(service, version, manifest.files)
        except (RegistryError, NotFound) as exc:
            return exc.message
        key = (service, version)
        with self._checked_lock:
            known = self._checked.get(key)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            self._store.verified_folder(manifest)
            verdict = None
        except RegistryError as exc:
            verdict = exc.message
        with self._checked_lock:
            self._checked[key] = (stamp, verdict)
        return verdict

    def manifest(self, service: str, version: int) -> Manifest:
        """The manifest of one version; ``NotFound`` if there is no such version."""
        raw = self._store.read_manifest(service, version)
        try:
            manifest = Manifest(**json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise RegistryError(f"manifest of {service} v{version} is unreadable: {exc}") from exc
        if manifest.service != service or manifest.version != version or not isinstance(
                manifest.files, dict):
            raise RegistryError(f"manifest of {service} v{version} describes another version")
        return manifest

    def live_version(self, service: str) -> int | None:
        """The live version of ``service``, or ``None`` when nothing was promoted yet."""
        state = self._store.read_live(service)
        return int(state["version"]) if state else None

    def previous_live(self, service: str) -> list[int]:
        """Earlier live versions, most recent last (what rollback walks back through)."""
        state = self._store.read_live(service)
        return [int(v) for v in state["history"]] if state else []

    def verified_folder(self, service: str, version: int) -> Path:
        """A local folder of the version's files after checking each against its manifest hash."""
        return self._store.verified_folder(self.manifest(service, version))

    # -- writing -----------------------------------------------------------------------------
    def register(
        self,
        service: str,
        write: Callable[[Path], None],
        *,
        metrics: dict[str, float],
        params: dict[str, Any],
        data_sha256: str,
        n_rows: int,
        notes: dict[str, Any] | None = None,
    ) -> Manifest:
        """Store a new version whose files ``write(folder)`` produces; return its manifest."""

        def describe(version: int, files: dict[str, str]) -> Manifest:
            return Manifest(service=service, version=version,
                            created_at=datetime.now(UTC).isoformat(), files=files,
                            metrics=metrics, params=params, data_sha256=data_sha256,
                            n_rows=n_rows, libraries=library_versions(), notes=notes or {})

        return self._store.publish(service, write, describe)

    def promote(self, service: str, version: int) -> None:
        """Make ``version`` live; the version that was live goes onto the rollback history.

        ``NotFound`` for a version that does not exist and ``BrokenVersion`` (409) for one that
        fails verification; either way the alias stays where it was.
        """
        if version not in self.version_numbers(service):
            raise NotFound(f"{service} has no version {version}")
        reason = self.problem(service, version)
        if reason is not None:
            raise BrokenVersion(f"{service} v{version} cannot go live: {reason}")

        def moved(state: LiveState | None) -> LiveState:
            history = [int(v) for v in state["history"]] if state else []
            if state and state["version"] != version:
                history.append(int(state["version"]))
            return {"version": version, "history": history[-_HISTORY_KEPT:]}

        self._store.change_live(service, moved)

    def rollback(self, service: str) -> int:
        """Make the latest earlier live version that still verifies live again; return it.

        Earlier versions that fail verification are passed over and dropped from the history.
        """

        def back(state: LiveState | None) -> LiveState:
            history = [int(v) for v in state["history"]] if state else []
            skipped = []
            while history:
                previous = history.pop()
                reason = self.problem(service, previous)
                if reason is None:
                    return {"version": previous, "history": history}
                skipped.append(reason)
            if skipped:
                raise BrokenVersion(f"no earlier live version of {service} verifies: "
                                    + "; ".join(skipped))
            raise NotFound(f"{service} has no earlier live version to roll back to")

        return int(self._store.change_live(service, back)["version"])


def local_path(location: str) -> Path | None:
    """The folder a registry location names (a path or a ``file://`` URL); None for a URL."""
    if "://" not in location:
        return Path(location)
    if location.startswith("file://"):  # as fsspec reads it: file:///abs, file://relative
        return Path(location.removeprefix("file://"))
    return None


def _open_store(location: Path | str, cache_dir: Path | None) -> Store:
    folder = location if isinstance(location, Path) else local_path(location)
    if folder is not None:
        return LocalStore(folder)
    if cache_dir is None:
        raise ValueError(f"a registry at a URL ({location}) needs a cache folder")
    # Imported only here: fsspec and its drivers cost start-up time a local registry saves.
    from modelworks.core.registry.remote import RemoteStore

    return RemoteStore(str(location), cache_dir)
