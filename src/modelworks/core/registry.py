"""Versioned model registry on disk.

Layout::

    <root>/<service>/<version>/   model files + manifest.json (sha256 of each file)
    <root>/<service>/live         JSON {"version": N, "history": [earlier live versions]}

A version is written into a hidden temporary folder and renamed into place, so a crash leaves
either no version or a whole one; its files are read-only and its own (never hard-linked to
another version's, so changing one file cannot change two versions). The live alias is
replaced with ``os.replace`` and moves only to a version whose every file matches its hash.
A per-service ``flock`` serialises writers across processes; readers need no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from modelworks.core.errors import BrokenVersion, NotFound, RegistryError, RegistryUnwritable
from modelworks.core.processes import process_running

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
        # Verdicts of earlier checks, keyed by what `stat` says of every file: a listing
        # re-hashes a version only when one of its files changed.
        self._checked: dict[tuple[str, int], tuple[tuple[Any, ...], str | None]] = {}
        self._checked_lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------
    def services(self) -> list[str]:
        """Services that have at least one folder in the registry."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def version_numbers(self, service: str) -> list[int]:
        """Every version folder of ``service``, readable or not, oldest first."""
        folder = self.root / service
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())

    def versions(self, service: str) -> list[Manifest]:
        """Every version of ``service`` whose manifest reads, oldest first (see ``problem``)."""
        manifests = []
        for number in self.version_numbers(service):
            with contextlib.suppress(RegistryError, NotFound):
                manifests.append(self.manifest(service, number))
        return manifests

    def problem(self, service: str, version: int) -> str | None:
        """Why a version cannot be served (unreadable manifest, missing or changed file), or None.

        Hashes every file the first time and again only after one of them changed.
        """
        folder = self.root / service / str(version)
        try:
            manifest = self.manifest(service, version)
            stamp = tuple((name, *_stat_key(folder / name)) for name in sorted(manifest.files))
        except (RegistryError, NotFound) as exc:
            return exc.message
        key = (service, version)
        with self._checked_lock:
            known = self._checked.get(key)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            self.verified_folder(service, version)
            verdict = None
        except RegistryError as exc:
            verdict = exc.message
        with self._checked_lock:
            self._checked[key] = (stamp, verdict)
        return verdict

    def manifest(self, service: str, version: int) -> Manifest:
        """The manifest of one version; ``NotFound`` if there is no such version."""
        path = self.root / service / str(version) / MANIFEST
        if not path.parent.is_dir():
            raise NotFound(f"{service} has no version {version}")
        try:
            manifest = Manifest(**json.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise RegistryError(f"{service} v{version} has no manifest") from exc
        except (OSError, ValueError, TypeError) as exc:
            raise RegistryError(f"manifest of {service} v{version} is unreadable: {exc}") from exc
        if manifest.service != service or manifest.version != version or not isinstance(
                manifest.files, dict):
            raise RegistryError(f"manifest of {service} v{version} describes another version")
        return manifest

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
            try:
                actual = sha256_file(path)
            except OSError as exc:
                raise RegistryError(f"{service} v{version}: file {name} cannot be read: "
                                    f"{exc.strerror}") from exc
            if actual != expected:
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
        staging = service_dir / f"{_STAGING}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}"
        try:
            staging.mkdir(parents=True)
        except OSError as exc:
            raise _unwritable(service_dir, exc) from exc
        try:
            write(staging)
            files = {
                str(p.relative_to(staging)): sha256_file(p)
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            }
            with self._lock(service):
                version = self._next_version(service)
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
        except OSError as exc:
            raise _unwritable(service_dir, exc) from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def promote(self, service: str, version: int) -> None:
        """Make ``version`` live; the version that was live goes onto the rollback history.

        ``NotFound`` for a version that does not exist and ``BrokenVersion`` (409) for one that
        fails verification; either way the alias stays where it was.
        """
        self._require_intact(service, version)
        with self._lock(service):
            state = self._live_state(service)
            history = list(state["history"]) if state else []
            if state and state["version"] != version:
                history.append(state["version"])
            self._write_live(service, version, history[-50:])

    def rollback(self, service: str) -> int:
        """Make the latest earlier live version that still verifies live again; return it.

        Earlier versions that fail verification are passed over and dropped from the history.
        """
        with self._lock(service):
            state = self._live_state(service)
            history = list(state["history"]) if state else []
            skipped = []
            while history:
                previous = int(history.pop())
                reason = self.problem(service, previous)
                if reason is None:
                    self._write_live(service, previous, history)
                    return previous
                skipped.append(reason)
            if skipped:
                raise BrokenVersion(f"no earlier live version of {service} verifies: "
                                    + "; ".join(skipped))
            raise NotFound(f"{service} has no earlier live version to roll back to")

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

    def _require_intact(self, service: str, version: int) -> None:
        if not (self.root / service / str(version)).is_dir():
            raise NotFound(f"{service} has no version {version}")
        reason = self.problem(service, version)
        if reason is not None:
            raise BrokenVersion(f"{service} v{version} cannot go live: {reason}")

    @contextlib.contextmanager
    def _lock(self, service: str) -> Iterator[None]:
        lock_path = self.root / service / ".lock"
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = lock_path.open("a")
        except OSError as exc:
            raise _unwritable(lock_path.parent, exc) from exc
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                _remove_leftovers(lock_path.parent)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_STAGING = ".staging-"


def _stat_key(path: Path) -> tuple[int, int, int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, 0, 0, 0)
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _unwritable(folder: Path, exc: OSError) -> RegistryUnwritable:
    return RegistryUnwritable(f"cannot write to the registry at {folder}: "
                         f"{exc.strerror or exc} (check MODELWORKS_HOME and its permissions)")


def _remove_leftovers(service_dir: Path) -> None:
    """What writers killed mid-way left behind: alias temp files and their staging folders.

    Called under the service's lock, so no alias temp file belongs to a running writer; a
    staging folder is removed only when its process (named in it) is gone from this host.
    """
    host = socket.gethostname()
    for path in service_dir.glob(".*"):
        with contextlib.suppress(OSError):
            if path.name.startswith(f".{LIVE}.") and path.name.endswith(".tmp"):
                path.unlink()
            elif path.name.startswith(f"{_STAGING}{host}-"):
                pid = path.name.removeprefix(f"{_STAGING}{host}-").split("-")[0]
                if pid.isdigit() and not process_running(int(pid)):
                    shutil.rmtree(path)



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
