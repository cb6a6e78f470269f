"""A local append-only file of prediction records waiting for the database.

While the database is away the prediction log appends each batch here, fsync'd, and writes
the file's records to the database when it answers again. One file per process, named
``predictions@<host>@<pid>.jsonl`` (``@`` cannot appear in a host name), so workers never
share one; a file whose process is gone is adopted (moved atomically, so only one process gets
it) by the next log that starts on the same host.
"""

from __future__ import annotations

import contextlib
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from modelworks.core.processes import process_running

Record = dict[str, Any]
PREDICTIONS = "predictions"
REJECTED = "rejected"


class Spool:
    """Records of one process that the database has not taken yet, oldest first."""

    def __init__(self, folder: Path, name: str = PREDICTIONS) -> None:
        self.folder = folder
        self.name = name
        self.host = socket.gethostname()
        self.path = self._path_of(os.getpid())
        self.count = 0

    def _path_of(self, pid: int) -> Path:
        return self.folder / f"{self.name}@{self.host}@{pid}.jsonl"

    def open(self) -> None:
        """Create the folder (owner-only) and take over the files of dead processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self.path = self._path_of(os.getpid())
        self.count = len(self.read())
        for orphan in sorted(self.folder.glob(f"*{self.name}@{self.host}@*.jsonl")):
            if orphan == self.path or not _dead(orphan.stem.rsplit("@", 1)[-1]):
                continue
            if orphan.name.startswith(".claimed-"):  # claimed by a process that then died
                claimer = orphan.name.removeprefix(".claimed-").split("-", 1)[0]
                if not _dead(claimer):
                    continue
            original = (orphan.name.split("-", 2)[2] if orphan.name.startswith(".claimed-")
                        else orphan.name)
            claimed = self.folder / f".claimed-{os.getpid()}-{original}"
            try:
                orphan.rename(claimed)  # atomic: of two processes adopting it, one wins
            except FileNotFoundError:
                continue
            self.append(_read(claimed))
            claimed.unlink()

    def append(self, records: list[Record]) -> None:
        """Add records durably: written and fsync'd before this returns."""
        if not records:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, _lines(records))
            os.fsync(fd)
        finally:
            os.close(fd)
        self.count += len(records)

    def replace(self, records: list[Record]) -> None:
        """Keep only ``records`` (the database has the rest), atomically and durably."""
        if not records:
            self.clear()
            return
        partial = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, _lines(records))
            os.fsync(fd)
        finally:
            os.close(fd)
        partial.replace(self.path)
        self.count = len(records)

    def read(self) -> list[Record]:
        """Every record in the file, oldest first."""
        return _read(self.path)

    def clear(self) -> None:
        """Forget every record (the database has them)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.count = 0


def spooled_records(folder: Path) -> int:
    """Prediction records waiting in every spool file of ``folder`` (every process's)."""
    total = 0
    for path in folder.glob(f"{PREDICTIONS}@*.jsonl") if folder.is_dir() else ():
        with contextlib.suppress(OSError), path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def _dead(pid: str) -> bool:
    return pid.isdigit() and not process_running(int(pid))


def _lines(records: list[Record]) -> bytes:
    return b"".join(orjson.dumps(
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()}) + b"\n"
        for r in records)


def _read(path: Path) -> list[Record]:
    records = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line cut short by a crash mid-write: it was never acknowledged
        record["created_at"] = datetime.fromisoformat(record["created_at"])
        records.append(record)
    return records
