"""A registry in a folder: this machine's disk, or a POSIX file system every machine mounts.

Layout::

    <root>/<service>/<version>/   model files + manifest.json (sha256 of each file)
    <root>/<service>/live         JSON {"version": N, "history": [earlier live versions]}

A version is written into a hidden temporary folder and renamed into place, so a crash leaves
either no version or a whole one; its files are read-only and its own (never hard-linked to
another version's, so changing one file cannot change two versions). The live alias is
replaced with ``os.replace``. A per-service ``flock`` serialises writers across processes;
readers need no lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from modelworks.core.errors import NotFound, RegistryError, RegistryUnwritable
from modelworks.core.processes import process_running
from modelworks.core.registry.disk import file_lock, fsync_dir, seal_tree, write_atomic
from modelworks.core.registry.manifest import MANIFEST, Manifest, check_folder, hash_folder
from modelworks.core.registry.store import Describe, LiveState

LIVE = "live"
_STAGING = ".staging-"


class LocalStore:
    """Versions and aliases in folders under ``root`` (see the module's layout)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    # -- reading -----------------------------------------------------------------------------
    def services(self) -> list[str]:
        """Services that have a folder in the registry."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def version_numbers(self, service: str) -> list[int]:
        """Every version folder of ``service``, readable or not (staging is never one)."""
        folder = self.root / service
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())

    def version_location(self, service: str, version: int) -> str:
        """The version's folder."""
        return str(self.root / service / str(version))

    def read_manifest(self, service: str, version: int) -> bytes:
        """The manifest file's bytes."""
        path = self.root / service / str(version) / MANIFEST
        if not path.parent.is_dir():
            raise NotFound(f"{service} has no version {version}")
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise RegistryError(f"{service} v{version} has no manifest") from exc
        except OSError as exc:
            raise RegistryError(f"manifest of {service} v{version} is unreadable: {exc}") from exc

    def stamp(self, service: str, version: int, names: Collection[str]) -> tuple[Any, ...]:
        """What ``stat`` says of every named file: any write or replacement changes it."""
        folder = self.root / service / str(version)
        return tuple((name, *_stat_key(folder / name)) for name in sorted(names))

    def verified_folder(self, manifest: Manifest) -> Path:
        """The version's own folder, after hashing every file."""
        folder = self.root / manifest.service / str(manifest.version)
        check_folder(folder, manifest)
        return folder

    def read_live(self, service: str) -> LiveState | None:
        """The alias file, or ``None`` when there is none yet."""
        path = self.root / service / LIVE
        try:
            state: LiveState = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise RegistryError(f"live alias of {service} is unreadable: {exc}") from exc
        return state

    # -- writing -----------------------------------------------------------------------------
    def change_live(self, service: str,
                    change: Callable[[LiveState | None], LiveState]) -> LiveState:
        """Under the service's lock: read the alias, write ``change(alias)`` with a rename."""
        with self._lock(service):
            state = change(self.read_live(service))
            try:
                write_atomic(self.root / service / LIVE, json.dumps(state))
            except OSError as exc:
                raise _unwritable(self.root / service, exc) from exc
            return state

    def publish(self, service: str, write: Callable[[Path], None],
                describe: Describe) -> Manifest:
        """Stage the files in a hidden folder, then rename it to the next number under lock."""
        service_dir = self.root / service
        staging = service_dir / f"{_STAGING}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}"
        try:
            staging.mkdir(parents=True)
        except OSError as exc:
            raise _unwritable(service_dir, exc) from exc
        try:
            write(staging)
            files = hash_folder(staging)
            with self._lock(service):
                manifest = describe(max(self.version_numbers(service), default=0) + 1, files)
                write_atomic(staging / MANIFEST, json.dumps(manifest.to_json(), indent=2))
                seal_tree(staging)
                staging.rename(service_dir / str(manifest.version))
                fsync_dir(service_dir)
            return manifest
        except OSError as exc:
            raise _unwritable(service_dir, exc) from exc
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self, service: str) -> Iterator[None]:
        service_dir = self.root / service
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(file_lock(service_dir / ".lock"))
            except OSError as exc:
                raise _unwritable(service_dir, exc) from exc
            _remove_leftovers(service_dir)
            yield


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
