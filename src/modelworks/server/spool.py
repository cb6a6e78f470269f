"""A local append-only file of prediction records waiting for the database.

While the database is away the prediction log appends each batch here, fsync'd, and writes
the file's records to the database when it answers again. One file per process, named with
the host and pid, so workers never share one; a file whose process is gone is adopted (moved
atomically, so only one process gets it) by the next log that starts on the same host.
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


class Spool:
    """Records of one process that the database has not taken yet, oldest first."""

    def __init__(self, folder: Path, name: str = "predictions") -> None:
        self.folder = folder
        self.name = name
        self.host = socket.gethostname()
        self.path = folder / f"{name}-{self.host}-{os.getpid()}.jsonl"
        self.count = 0

    def open(self) -> None:
        """Create the folder (owner-only) and take over the files of dead processes."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.folder / f"{self.name}-{self.host}-{os.getpid()}.jsonl"
        self.count = len(self.read()) if self.path.exists() else 0
        for orphan in self.folder.glob(f"{self.name}-{self.host}-*.jsonl"):
            pid = orphan.stem.rsplit("-", 1)[-1]
            if orphan == self.path or not pid.isdigit() or process_running(int(pid)):
                continue
            claimed = self.folder / f".claimed-{os.getpid()}-{orphan.name}"
            try:
                orphan.rename(claimed)  # atomic: of two processes adopting it, one wins
            except FileNotFoundError:
                continue
            records = _read(claimed)
            self.append(records)
            claimed.unlink()

    def append(self, records: list[Record]) -> None:
        """Add records durably: written and fsync'd before this returns."""
        if not records:
            return
        payload = b"".join(orjson.dumps(_encode(r)) + b"\n" for r in records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.count += len(records)

    def read(self) -> list[Record]:
        """Every record in the file, oldest first."""
        return _read(self.path)

    def clear(self) -> None:
        """Forget every record (the database has them)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.count = 0


def spooled_records(folder: Path) -> int:
    """Records waiting in every spool file of ``folder`` (every worker's)."""
    total = 0
    for path in folder.glob("*.jsonl") if folder.is_dir() else ():
        with contextlib.suppress(OSError), path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def _encode(record: Record) -> Record:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


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

