"""Copies on this machine of versions kept in a remote registry, each verified before use.

Layout (a local registry's, plus where each copy came from)::

    <root>/<service>/<version>/   the model files, read-only, + manifest.json + .source.json

A copy enters the cache only after every file matched the manifest's hash, by a rename of a
complete folder, so a crash leaves a whole copy or none. ``.source.json`` records what the
remote listing said of the version's objects when the copy was made: when the remote objects
change (someone replaced a file) the copy is fetched and checked again, so this machine
refuses a tampered version exactly as one with an empty cache would.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from modelworks.core.errors import RegistryError, RegistryUnwritable
from modelworks.core.processes import process_running
from modelworks.core.registry.disk import file_lock, fsync_dir, seal_tree
from modelworks.core.registry.manifest import MANIFEST, Manifest, check_folder

log = logging.getLogger(__name__)

SOURCE = ".source.json"
_PARTIAL = ".partial-"

Fetch = Callable[[str, Path], None]
"""Copies the remote file of a version named by the first argument to the local path."""


class VersionCache:
    """Verified local copies of remote versions under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def verified_copy(self, manifest: Manifest, source: list[Any], fetch: Fetch) -> Path:
        """The version's folder here: the cached copy if still current and intact, else fetched.

        ``source`` describes the remote objects now; ``RegistryError`` when a fetched file is
        missing or fails its hash (nothing is then kept).
        """
        folder = self._folder(manifest)
        with self._locked(manifest):
            if _source_of(folder) == source:
                try:
                    check_folder(folder, manifest)
                    return folder
                except RegistryError as exc:  # this disk's copy changed: the remote one decides
                    log.warning("cached version changed on disk; fetching it again",
                                extra={"service": manifest.service, "version": manifest.version,
                                       "error": exc.message})
            with self.staging(manifest.service) as partial:
                for name in manifest.files:
                    (partial / name).parent.mkdir(parents=True, exist_ok=True)
                    fetch(name, partial / name)
                check_folder(partial, manifest)
                self._install(partial, manifest, source)
        return folder

    def adopt(self, staged: Path, manifest: Manifest, source: list[Any]) -> None:
        """Keep the files a writer just uploaded as the version's copy (they are verified)."""
        with self._locked(manifest):
            self._install(staged, manifest, source)

    @contextlib.contextmanager
    def staging(self, service: str) -> Iterator[Path]:
        """A fresh empty folder beside the cached versions, removed afterwards unless installed."""
        folder = self.root / service / f"{_PARTIAL}{os.getpid()}-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True)
            _remove_leftovers(folder.parent)
        except OSError as exc:
            raise _unwritable(self.root, exc) from exc
        try:
            yield folder
        finally:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)

    def _install(self, partial: Path, manifest: Manifest, source: list[Any]) -> None:
        """Make the complete, verified ``partial`` the version's copy (called under its lock)."""
        folder = self._folder(manifest)
        try:
            # A person reading the cache sees what a version is; serving trusts only the
            # registry's own manifest, read again each time.
            (partial / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=2))
            (partial / SOURCE).write_text(json.dumps(source))
            seal_tree(partial)
            if folder.exists():
                shutil.rmtree(folder)
            partial.rename(folder)
            fsync_dir(folder.parent)
        except OSError as exc:
            raise _unwritable(self.root, exc) from exc

    def _folder(self, manifest: Manifest) -> Path:
        return self.root / manifest.service / str(manifest.version)

    @contextlib.contextmanager
    def _locked(self, manifest: Manifest) -> Iterator[None]:
        # The workers of one machine share the cache; one of them fetches, the others wait.
        lock = self.root / manifest.service / f".{manifest.version}.lock"
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(file_lock(lock))
            except OSError as exc:
                raise _unwritable(self.root, exc) from exc
            yield


def _remove_leftovers(service_dir: Path) -> None:
    """Folders that processes of this machine killed mid-fetch left (the cache is this host's)."""
    for path in service_dir.glob(f"{_PARTIAL}*"):
        pid = path.name.removeprefix(_PARTIAL).split("-")[0]
        if pid.isdigit() and not process_running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _source_of(folder: Path) -> Any:
    try:
        return json.loads((folder / SOURCE).read_text())
    except (OSError, ValueError):
        return None


def _unwritable(root: Path, exc: OSError) -> RegistryUnwritable:
    return RegistryUnwritable(f"cannot write to the registry cache at {root}: "
                              f"{exc.strerror or exc} (check MODELWORKS_HOME and its permissions)")
