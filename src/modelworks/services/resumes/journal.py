"""A write-ahead journal of resume history rows: answered once on disk, in SQL soon after.

Each process appends the rows it answers to a file of its own (one JSON line each, one
``write`` call, no fsync) and holds an exclusive ``flock`` on it while it lives. That is the
durability SQLite gives in WAL mode with ``synchronous=NORMAL``: a row survives the process
being killed (the kernel has the bytes), not the machine losing power. Once every row of the
file is committed to SQL the file is emptied. A file whose lock can be taken belongs to a
process that died: its rows are written to SQL (rows already there are skipped by id) and
the file is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson


class Journal:
    """The journal file of the current process in ``folder``; thread-safe appends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._appended = 0
        self._committed = 0

    def open(self) -> None:
        """Create this process's file and lock it (call again in a forked child)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with self._lock:
            if self._fd is not None:  # the parent's, inherited through a fork
                os.close(self._fd)
            self._fd, self._appended, self._committed = fd, 0, 0

    def append(self, row: dict[str, Any]) -> None:
        """Put one row on disk (an ``OSError`` if it cannot be: the caller must not answer)."""
        line = orjson.dumps(row) + b"\n"
        with self._lock:
            assert self._fd is not None, "Journal.open() first"
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"journal write cut short ({written} of {len(line)} bytes)")
            self._appended += 1

    def committed(self, rows: int) -> None:
        """``rows`` more appended rows are in SQL; the file is emptied once all of them are."""
        if not rows:
            return
        with self._lock:
            self._committed += rows
            if self._fd is not None and self._committed == self._appended:
                os.ftruncate(self._fd, 0)
                self._appended = self._committed = 0

    def orphans(self) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
        """The rows of each file left by a dead process; remove the file once handled.

        Yields while holding the dead file's lock, so two processes never replay one file.
        """
        for path in sorted(self.folder.glob("*.jsonl")):
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:  # another process replayed it meanwhile
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # alive (this process's own file included)
                    continue
                yield path, _rows(path.read_bytes())
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            finally:
                os.close(fd)


def _rows(raw: bytes) -> list[dict[str, Any]]:
    """Rows of a journal; a last line cut short by a crash was never answered, so skipped."""
    rows = []
    for line in raw.splitlines():
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        row["created_at"] = datetime.fromisoformat(row["created_at"])
        rows.append(row)
    return rows
