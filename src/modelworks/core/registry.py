"""Versioned model registry on disk.

Layout::

    <root>/<service>/<version>/   model files + manifest.json (sha256 of each file)
    <root>/<service>/live         JSON {"version": N, "history": [earlier live versions]}

A version is written into a hidden temporary folder and renamed into place, so a crash leaves
either no version or a whole one. The live alias is replaced with ``os.replace``. A per-service
``flock`` serialises writers across processes; readers need no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from modelworks.core.errors import NotFound, RegistryError

MANIFEST = "manifest.json"
LIVE = "live"
_TRACKED_LIBRARIES = ("modelworks", "numpy", "scikit-learn", "scipy", "onnxruntime", "tokenizers")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model's behaviour depends on."""
    versions = {}
    for name in _TRACKED_LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


@dataclass(frozen=True)
class Manifest:
    """What the registry knows about one immutable model version."""

    service: str
    version: int
    created_at: str
    files: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    data_sha256: str = ""
    n_rows: int = 0
    libraries: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class Registry:
    """Model versions of every service under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading -----------------------------------------------------------------------------
    def services(self) -> list[str]:
        """Services that have at least one folder in the registry."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def versions(self, service: str) -> list[Manifest]:
        """Every complete version of ``service``, oldest first."""
        folder = self.root / service
        if not folder.exists():
            return []
        numbers = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())
        return [self.manifest(service, n) for n in numbers]

    def manifest(self, service: str, version: int) -> Manifest:
        """The manifest of one version; ``NotFound`` if there is no such version."""
        path = self.root / service / str(version) / MANIFEST
        if not path.exists():
            raise NotFound(f"{service} has no version {version}")
        try:
            return Manifest(**json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise RegistryError(f"manifest of {service} v{version} is unreadable: {exc}") from exc

    def live_version(self, service: str) -> int | None:
        """The live version of ``service``, or ``None`` when nothing was promoted yet."""
        state = self._live_state(service)
        return state["version"] if state else None

    def previous_live(self, service: str) -> list[int]:
        """Earlier live versions, most recent last (what rollback walks back through)."""
        state = self._live_state(service)
        return list(state["history"]) if state else []

    def verified_folder(self, service: str, version: int) -> Path:
        """The folder of a version after checking every file against its manifest hash."""
        manifest = self.manifest(service, version)
        folder = self.root / service / str(version)
        for name, expected in manifest.files.items():
            path = folder / name
            if not path.is_file():
                raise RegistryError(f"{service} v{version}: file {name} is missing")
            if sha256_file(path) != expected:
                raise RegistryError(f"{service} v{version}: file {name} fails its sha256 check")
        return folder

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
        service_dir = self.root / service
        service_dir.mkdir(parents=True, exist_ok=True)
        staging = service_dir / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            write(staging)
            files = {
                str(p.relative_to(staging)): sha256_file(p)
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            }
            with self._lock(service):
                version = self._next_version(service)
                self._share_identical_files(service, staging, files)
                manifest = Manifest(
                    service=service,
                    version=version,
                    created_at=datetime.now(UTC).isoformat(),
                    files=files,
                    metrics=metrics,
                    params=params,
                    data_sha256=data_sha256,
                    n_rows=n_rows,
                    libraries=library_versions(),
                    notes=notes or {},
                )
                _write_atomic(staging / MANIFEST, json.dumps(manifest.to_json(), indent=2))
                for path in staging.rglob("*"):
                    if path.is_file():
                        path.chmod(0o444)
                _fsync_tree(staging)
                staging.rename(service_dir / str(version))
                _fsync_dir(service_dir)
            return manifest
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def promote(self, service: str, version: int) -> None:
        """Make ``version`` live; the version that was live goes onto the rollback history."""
        self.manifest(service, version)  # raises NotFound for a version that does not exist
        with self._lock(service):
            state = self._live_state(service)
            history = list(state["history"]) if state else []
            if state and state["version"] != version:
                history.append(state["version"])
            self._write_live(service, version, history[-50:])

    def rollback(self, service: str) -> int:
        """Make the previous live version live again and return it."""
        with self._lock(service):
            state = self._live_state(service)
            if not state or not state["history"]:
                raise NotFound(f"{service} has no earlier live version to roll back to")
            history = list(state["history"])
            previous = history.pop()
            self._write_live(service, previous, history)
            return int(previous)

    # -- internals ---------------------------------------------------------------------------
    def _live_state(self, service: str) -> dict[str, Any] | None:
        path = self.root / service / LIVE
        try:
            state: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise RegistryError(f"live alias of {service} is unreadable: {exc}") from exc
        return state

    def _write_live(self, service: str, version: int, history: list[int]) -> None:
        payload = json.dumps({"version": version, "history": history})
        _write_atomic(self.root / service / LIVE, payload)

    def _next_version(self, service: str) -> int:
        existing = [int(p.name) for p in (self.root / service).iterdir() if p.name.isdigit()]
        return max(existing, default=0) + 1

    def _share_identical_files(self, service: str, staging: Path, files: dict[str, str]) -> None:
        """Hard-link files identical to one of the latest version's (large shared tables)."""
        numbers = [int(p.name) for p in (self.root / service).iterdir() if p.name.isdigit()]
        if not numbers:
            return
        latest = self.root / service / str(max(numbers))
        try:
            previous = Manifest(**json.loads((latest / MANIFEST).read_text())).files
        except (OSError, ValueError, TypeError):
            return
        for name, digest in files.items():
            if previous.get(name) == digest:
                target = staging / name
                link = target.with_name(target.name + ".link")
                with contextlib.suppress(OSError):
                    os.link(latest / name, link)
                    os.replace(link, target)

    @contextlib.contextmanager
    def _lock(self, service: str) -> Iterator[None]:
        lock_path = self.root / service / ".lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
