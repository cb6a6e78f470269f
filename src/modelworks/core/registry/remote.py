"""A registry at an fsspec URL: ``s3://bucket/prefix`` (any S3-compatible store), ``gs://``, ...

Layout under the URL::

    <service>/<N>/.claim          who took version number N (the first object written)
    <service>/<N>/<files>         the model files
    <service>/<N>/manifest.json   written last: version N exists once its manifest does
    <service>/live/<M>.json       alias records: the live alias is the one with the highest M

An object store has no rename and no lock. Every write that two writers could collide on is
therefore a create-only write (fsspec's ``mode="create"``; on S3 a PUT with
``If-None-Match: *``), which the store applies atomically: of two writers creating one name,
exactly one succeeds and the other gets ``FileExistsError`` (S3: 412).

- A writer claims number N by creating ``.claim``; on losing it takes the next number, and
  only then uploads, so two writers never put files under one number.
- The alias is a chain of records, each holding the whole alias. Moving it means creating
  record M+1 from record M; a writer that loses the race reads the winner's record and
  applies its change on top of it, so neither promotion is lost and the history keeps both.
  (A single alias object replaced with ``If-Match`` on its ETag would do on S3 alone; fsspec
  has a create-only write for every store but no compare-and-swap.)
- A reader remembers the newest record it saw and asks only for the next one: while the
  alias stays put, a poll is one GET answered 404.

Nothing is ever overwritten or deleted, so the records are also the log of every promotion
and rollback (when, by which host). Versions a process loads are copied into this machine's
``VersionCache`` and checked against their hashes there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelworks.core.errors import (
    ModelworksError,
    NotFound,
    RegistryError,
    RegistryUnreachable,
)
from modelworks.core.registry.cache import VersionCache
from modelworks.core.registry.manifest import MANIFEST, Manifest, hash_folder
from modelworks.core.registry.store import Describe, LiveState

log = logging.getLogger(__name__)

CLAIM = ".claim"
LIVE = "live"
_RACE_TRIES = 50
"""Numbers or alias moves one writer may lose in a row before it gives up."""
_WRITE_TRIES = 4
"""Attempts at one create-only write whose earlier attempts got no clear answer."""


class RemoteStore:
    """Versions and alias records at an fsspec URL (see the module's layout)."""

    def __init__(self, url: str, cache_dir: Path) -> None:
        self.location = url.rstrip("/")
        self._cache = VersionCache(cache_dir)
        self._fs_pid: int | None = None
        self._fs_now: Any = None
        self._root = ""
        self._newest_record: dict[str, tuple[int, LiveState | None]] = {}
        self._complete: set[tuple[str, int]] = set()
        self._filesystem()  # a missing driver or a malformed URL fails here, at start

    # -- reading -----------------------------------------------------------------------------
    def services(self) -> list[str]:
        """Services with a prefix under the URL."""
        return sorted(name for name, is_dir in self._ls(self._root)
                      if is_dir and not name.startswith("."))

    def version_numbers(self, service: str) -> list[int]:
        """Claimed numbers whose manifest exists (a version still uploading is not one yet)."""
        numbers = []
        for number in self._claimed(service):
            if (service, number) not in self._complete:
                if not self._exists(self._path(service, str(number), MANIFEST)):
                    continue
                self._complete.add((service, number))  # a manifest is never removed
            numbers.append(number)
        return numbers

    def version_location(self, service: str, version: int) -> str:
        """The URL of the version's prefix."""
        return f"{self.location}/{service}/{version}"

    def read_manifest(self, service: str, version: int) -> bytes:
        """The manifest object's bytes."""
        try:
            return self._read(self._path(service, str(version), MANIFEST))
        except FileNotFoundError:
            if version in self._claimed(service):
                raise RegistryError(f"{service} v{version} has no manifest (its upload has not "
                                    "finished, or its writer stopped)") from None
            raise NotFound(f"{service} has no version {version}") from None

    def stamp(self, service: str, version: int, names: Collection[str]) -> tuple[Any, ...]:
        """What the store's listing says of each named object (size, ETag or its like)."""
        return tuple(tuple(entry) for entry in self._source(service, version, names))

    def verified_folder(self, manifest: Manifest) -> Path:
        """The cached copy of the version here, fetched and checked when not current."""
        service, version = manifest.service, manifest.version
        source = self._source(service, version, manifest.files)
        listed = {name for name, fingerprint in source if fingerprint is not None}
        for name in manifest.files:
            if name not in listed:
                raise RegistryError(f"{manifest.label}: file {name} is missing")

        def fetch(name: str, target: Path) -> None:
            with self._reaching(f"download {service} v{version} {name}"):
                self._fs.get_file(self._path(service, str(version), name), str(target))

        return self._cache.verified_copy(manifest, source, fetch)

    def read_live(self, service: str) -> LiveState | None:
        """The newest alias record (see the module: one GET when it has not moved)."""
        return self._newest_live(service)[1]

    # -- writing -----------------------------------------------------------------------------
    def change_live(self, service: str,
                    change: Callable[[LiveState | None], LiveState]) -> LiveState:
        """Create the next alias record from the newest one; on a lost race, start again."""
        for _ in range(_RACE_TRIES):
            number, state = self._newest_live(service)
            changed = change(state)
            record: LiveState = {"version": changed["version"], "history": changed["history"],
                                 **_origin()}
            if self._create(self._record_path(service, number + 1), _json(record)):
                self._newest_record[service] = (number + 1, record)
                return record
        raise RegistryUnreachable(f"the live alias of {service} at {self.location} moved "
                                  f"{_RACE_TRIES} times while this writer tried to move it")

    def publish(self, service: str, write: Callable[[Path], None],
                describe: Describe) -> Manifest:
        """Write the files here, claim a number, upload, then create the manifest."""
        with self._cache.staging(service) as staging:
            write(staging)
            files = hash_folder(staging)
            manifest = describe(self._claim(service), files)
            for name in files:
                target = self._path(service, str(manifest.version), name)
                with self._reaching(f"upload {manifest.label} {name}"):
                    self._fs.put_file(str(staging / name), target)
            body = json.dumps(manifest.to_json(), indent=2).encode()
            if not self._create(self._path(service, str(manifest.version), MANIFEST), body):
                raise RegistryError(f"{manifest.label} was completed by another writer, "
                                    "which ignored its claim")
            self._complete.add((service, manifest.version))
            # The uploaded files are verified already: this machine need not fetch them back.
            try:
                self._cache.adopt(staging, manifest,
                                  self._source(service, manifest.version, manifest.files))
            except RegistryError as exc:  # the version is registered; a later load fetches it
                log.warning("registered version not kept in the local cache",
                            extra={"service": service, "version": manifest.version,
                                   "error": exc.message})
        return manifest

    # -- the alias ---------------------------------------------------------------------------
    def _newest_live(self, service: str) -> tuple[int, LiveState | None]:
        number, state = self._newest_record.get(service) or (self._highest_record(service), None)
        if number and state is None:
            state = self._record(service, number)
        # Records are numbered without gaps (each is created as the one after the newest),
        # so the first missing number ends the walk.
        while (following := self._record(service, number + 1)) is not None:
            number, state = number + 1, following
        self._newest_record[service] = (number, state)
        return number, state

    def _highest_record(self, service: str) -> int:
        names = [name.removesuffix(".json") for name, _ in self._ls(self._path(service, LIVE))]
        return max((int(name) for name in names if name.isdigit()), default=0)

    def _record(self, service: str, number: int) -> LiveState | None:
        try:
            raw = self._read(self._record_path(service, number))
        except FileNotFoundError:
            return None
        try:
            record: LiveState = json.loads(raw)
        except ValueError as exc:
            raise RegistryError(f"live alias record {number} of {service} is unreadable: "
                                f"{exc}") from exc
        return record

    def _record_path(self, service: str, number: int) -> str:
        return self._path(service, LIVE, f"{number}.json")

    # -- versions ----------------------------------------------------------------------------
    def _claim(self, service: str) -> int:
        """A version number no other writer has or will get."""
        tried = 0
        for _ in range(_RACE_TRIES):
            number = max(max(self._claimed(service), default=0), tried) + 1
            if self._create(self._path(service, str(number), CLAIM), _json(_origin())):
                return number
            tried = number
        raise RegistryUnreachable(f"{service} at {self.location}: {_RACE_TRIES} version "
                                  "numbers were taken by other writers while this one tried")

    def _claimed(self, service: str) -> list[int]:
        return sorted(int(name) for name, is_dir in self._ls(self._path(service))
                      if is_dir and name.isdigit())

    def _source(self, service: str, version: int,
                names: Collection[str]) -> list[list[str | None]]:
        """``[name, fingerprint or None]`` for each named object and the manifest, by name."""
        prefix = self._path(service, str(version))
        with self._reaching(f"list {service} v{version}"):
            try:
                found: dict[str, dict[str, Any]] = self._fs.find(prefix, detail=True)
            except FileNotFoundError:
                found = {}
        listed = {_relative(path, prefix): info for path, info in found.items()}
        return [[name, _fingerprint(listed[name]) if name in listed else None]
                for name in sorted({*names, MANIFEST})]

    # -- the store's primitives --------------------------------------------------------------
    @property
    def _fs(self) -> Any:
        return self._filesystem()

    def _filesystem(self) -> Any:
        # A client made before a fork belongs to the parent's event loop, and the instance
        # cache would hand back another Registry's client: each process makes its own, and
        # listings are never cached (another machine may have written since).
        if self._fs_pid != os.getpid():
            from fsspec.core import url_to_fs

            try:
                self._fs_now, self._root = url_to_fs(
                    self.location, skip_instance_cache=True, use_listings_cache=False)
            except ImportError as exc:  # the store's driver, which is an extra
                raise RegistryError(f"the registry at {self.location} needs a package that is "
                                    f"not installed: {exc} (for s3://: pip install "
                                    "'modelworks[s3]')") from exc
            except Exception as exc:  # a malformed URL, or options its driver refuses
                raise _unreachable(self.location, "be opened", exc) from exc
            self._root = self._root.rstrip("/")
            self._fs_pid = os.getpid()
        return self._fs_now

    def _path(self, *parts: str) -> str:
        return "/".join((self._root, *parts))

    def _ls(self, path: str) -> list[tuple[str, bool]]:
        """Names directly under ``path`` and whether each is a folder; none if it is absent."""
        with self._reaching("list"):
            try:
                entries: list[dict[str, Any]] = self._fs.ls(path, detail=True)
            except FileNotFoundError:
                return []
        return [(entry["name"].rstrip("/").rsplit("/", 1)[-1], entry["type"] == "directory")
                for entry in entries]

    def _exists(self, path: str) -> bool:
        with self._reaching("look up an object"):
            return bool(self._fs.exists(path))

    def _read(self, path: str) -> bytes:
        """A small object's bytes; ``FileNotFoundError`` when absent."""
        with self._reaching("read"):
            # A ranged read is one GET on s3fs; a whole-object read asks for the size first.
            data: bytes = self._fs.cat_file(path, start=0)
        return data

    def _create(self, path: str, body: bytes) -> bool:
        """Create ``path`` holding ``body`` unless it exists; whether this call created it.

        An attempt can fail without saying whether it wrote (a timeout, S3's 409 for two
        conditional writes in flight at once): it is tried again, and an object found there
        afterwards is this writer's own if it holds ``body`` (every body names a unique id).
        """
        unsure = False
        for attempt in range(_WRITE_TRIES):
            try:
                self._fs.pipe_file(path, body, mode="create")
                return True
            except FileExistsError:
                return unsure and self._read(path) == body
            except (PermissionError, FileNotFoundError) as exc:  # access denied, no such bucket
                raise _unreachable(self.location, "write", exc) from exc
            except Exception as exc:  # the store's client raises its own types (botocore's)
                if attempt == _WRITE_TRIES - 1:
                    raise _unreachable(self.location, "write", exc) from exc
                unsure = True
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    @contextlib.contextmanager
    def _reaching(self, what: str) -> Iterator[None]:
        """Errors of the store's client as ``RegistryUnreachable``; absent objects stay as is."""
        try:
            yield
        except (FileNotFoundError, FileExistsError, ModelworksError):
            raise
        except Exception as exc:  # the store's client raises its own types (botocore's)
            raise _unreachable(self.location, what, exc) from exc


def _origin() -> dict[str, str]:
    """Who wrote an object, and a unique id that tells one writer's body from another's."""
    return {"at": datetime.now(UTC).isoformat(), "by": f"{socket.gethostname()}:{os.getpid()}",
            "id": uuid.uuid4().hex}


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def _relative(path: str, prefix: str) -> str:
    return path.removeprefix(prefix).lstrip("/")


def _fingerprint(info: dict[str, Any]) -> str:
    """What changes when an object is replaced: its size and ETag (or what the store has)."""
    tag = next((info[key] for key in ("ETag", "etag", "md5Hash", "generation", "mtime",
                                      "LastModified", "last_modified", "created") if info.get(key)),
               "")
    return f"{info.get('size')}:{tag}"


def _unreachable(location: str, what: str, exc: BaseException) -> RegistryUnreachable:
    first_line = (str(exc).strip().splitlines() or [""])[0][:300]
    return RegistryUnreachable(f"the registry at {location} cannot {what}: "
                               f"{type(exc).__name__}: {first_line}")
