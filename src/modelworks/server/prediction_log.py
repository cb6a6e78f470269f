"""The prediction log: records queued by the request path, written in batches by one thread.

What it promises: a record it accepted reaches the ``predictions`` table unless the process
is killed with SIGKILL (or loses power) within ``flush_seconds`` of accepting it. While the
database is unreachable, batches go to a local spool file (fsync'd per batch, see
``server/spool.py``) and are written, oldest first, once the database answers again; a clean
stop (SIGTERM) drains the queue to the database or to the spool. A batch the database refuses
for its content (not for being away) is written row by row, and a row it still refuses goes
to a ``rejected`` file beside the spool with the reason, so nothing is silently dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import Counter
from sqlalchemy import Engine, bindparam, insert, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from modelworks.sdk.database import sqlite_time
from modelworks.server.db import Prediction
from modelworks.server.spool import REJECTED, Record, Spool

log = logging.getLogger(__name__)
_PING_SECONDS = 2.0
_COLUMNS = ("created_at", "service", "model_version", "request_id", "input", "output",
            "latency_ms")
_RETRY_SECONDS = 1.0


class PredictionLog:
    """Accepts records without touching the database; a writer thread inserts them in batches.

    A record waits at most ``flush_seconds`` before its batch is written. ``stop()`` drains the
    queue, so a clean shutdown loses nothing.
    """

    def __init__(self, engine: Engine, *, flush_seconds: float = 0.2, batch_size: int = 500,
                 counter: Counter | None = None, spool_dir: Path | None = None) -> None:
        self.engine = engine
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self._queue: queue.Queue[Record] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._counter = counter
        self._counters: dict[str, Counter] = {}
        self._spool = Spool(spool_dir) if spool_dir is not None else None
        self.database_error: str | None = None
        """Why the last write or check failed; ``None`` while the database answers."""
        self._next_retry = 0.0
        self._last_contact = time.monotonic()
        self._sqlite = engine.dialect.name == "sqlite"
        compiled = (insert(Prediction).inline().values({c: bindparam(c) for c in _COLUMNS})
                    .compile(dialect=engine.dialect))
        self._insert_sql = str(compiled)
        self._positions: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positiontup else None)

    @property
    def spooled(self) -> int:
        """Records this process holds in its spool, waiting for the database."""
        return self._spool.count if self._spool is not None else 0

    def start(self) -> None:
        """Adopt spooled records of dead processes, then start the writer thread."""
        if self._spool is not None:
            self._spool.open()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write everything queued (to the database, else to the spool), then stop."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None
            self._stopping.clear()

    def _count(self, service: str, items: int) -> None:
        if self._counter is None:
            return
        counter = self._counters.get(service)
        if counter is None:  # ``labels()`` costs a lock and a key per call: look up once
            counter = self._counters[service] = self._counter.labels(service)
        counter.inc(items)

    def count(self, service: str, items: int) -> None:
        """Count predictions a service keeps elsewhere (or not at all) in the metrics only."""
        self._count(service, items)

    def record(self, *, service: str, model_version: int, request_id: str, inputs: list[Any],
               outputs: list[Any], latency_ms: float) -> None:
        """Queue one row per (input, output) pair; the batch latency is shared evenly."""
        now = datetime.now(UTC)
        share = latency_ms / max(len(inputs), 1)
        self._count(service, len(inputs))
        for item, result in zip(inputs, outputs, strict=True):
            self._queue.put({
                "created_at": now, "service": service, "model_version": model_version,
                "request_id": request_id, "input": orjson.dumps(item).decode(),
                "output": orjson.dumps(result).decode(), "latency_ms": share,
            })

    # -- the writer thread --------------------------------------------------------------------
    def _run(self) -> None:
        # Wake on a timer, not per record: a waiting queue.get() would hand the GIL to this
        # thread on every request and write tiny batches.
        while True:
            stopping = self._stopping.wait(self.flush_seconds)
            try:
                self._flush(self._drain(), stopping)
            except Exception:  # the writer must outlive any one failure
                log.exception("prediction log flush failed")
            if stopping:
                return

    def _flush(self, batch: list[Record], stopping: bool) -> None:
        if batch:
            if self.spooled or self.database_error is not None:
                # Nothing overtakes what waits in the spool, and a database known to be away
                # is not waited for: the batch is safe on disk before anything is retried.
                self._keep(batch)
            else:
                self._write(batch)
        elif time.monotonic() - self._last_contact > _PING_SECONDS:
            self._ping()
        # A stopping process leaves its spool to the next one on this host rather than
        # replaying it past the server's graceful timeout.
        if self.spooled and not stopping and time.monotonic() >= self._next_retry:
            self._replay()

    def _drain(self) -> list[Record]:
        rest: list[Record] = []
        while True:
            try:
                rest.append(self._queue.get_nowait())
            except queue.Empty:
                return rest

    def _write(self, batch: list[Record]) -> None:
        for start in range(0, len(batch), self.batch_size):
            try:
                self._write_chunk(batch[start:start + self.batch_size])
            except Exception as exc:  # the database is away (or worse): keep the rest
                self._went_away(exc)
                self._keep(batch[start:])
                return

    def _write_chunk(self, chunk: list[Record]) -> None:
        """Insert a chunk; a row the database refuses is set aside, anything else raises."""
        try:
            self._insert(chunk)
        except Exception as exc:
            if not _refused(exc):
                raise
            for record in chunk:
                try:
                    self._insert([record])
                except Exception as row_exc:
                    if not _refused(row_exc):
                        raise
                    self._reject(record, row_exc)

    def _replay(self) -> None:
        assert self._spool is not None
        records = self._spool.read()
        done = 0
        try:
            while done < len(records):
                chunk = records[done:done + self.batch_size]
                self._write_chunk(chunk)
                done += len(chunk)
                # What the database has is dropped from the spool at once, so a replay cut
                # short (a flapping database) does not write it again; only a process dying
                # between a commit and this rewrite can leave a chunk to be written twice.
                self._spool.replace(records[done:])
        except Exception as exc:
            self._went_away(exc)
            return
        log.info("spooled predictions written", extra={"rows": len(records)})

    def _keep(self, records: list[Record]) -> None:
        """Put records in the spool; if even that fails, back in the queue for the next round."""
        try:
            self._to_spool(records)
        except Exception:
            log.exception("cannot spool prediction records; keeping them in memory")
            for record in records:
                self._queue.put(record)

    def _insert(self, chunk: list[Record]) -> None:
        # Straight to the driver: SQLAlchemy's statement cache and per-value type processing
        # cost as much as the insert itself, on the core that serves the requests.
        rows: list[Any]
        if self._sqlite:
            rows = [{**record, "created_at": sqlite_time(record["created_at"])}
                    for record in chunk]
        else:
            rows = chunk
        if self._positions is not None:  # the driver takes positional parameters
            rows = [tuple(row[name] for name in self._positions) for row in rows]
        with self.engine.begin() as connection:
            connection.exec_driver_sql(self._insert_sql, rows)
        self._back()

    def _ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            self._back()
        except SQLAlchemyError as exc:
            self._went_away(exc)

    def _to_spool(self, records: list[Record]) -> None:
        if self._spool is None:
            log.error("prediction records lost: the database is unreachable and no spool is "
                      "configured", extra={"rows": len(records)})
            return
        self._spool.append(records)

    def _reject(self, record: Record, exc: Exception) -> None:
        log.error("prediction record refused by the database", extra={"error": str(exc)[:300]})
        if self._spool is not None:
            Spool(self._spool.folder, REJECTED).append([{**record, "error": str(exc)[:300]}])

    def _went_away(self, exc: Exception) -> None:
        if self.database_error is None:
            log.error("database unreachable; predictions go to the spool",
                      extra={"error": str(exc)[:300]})
        first_line = (str(exc).splitlines() or [""])[0]
        self.database_error = f"{type(exc).__name__}: {first_line[:200]}"
        self._next_retry = time.monotonic() + _RETRY_SECONDS
        self._last_contact = time.monotonic()

    def _back(self) -> None:
        if self.database_error is not None:
            log.warning("database reachable again")
        self.database_error = None
        self._last_contact = time.monotonic()


def _refused(exc: Exception) -> bool:
    """Whether the database answered and refused the rows for their content.

    That is a data exception or an integrity violation (SQLSTATE classes 22 and 23, or the
    same DB-API error classes where the driver gives no SQLSTATE). Everything else (no
    connection, a timeout, a locked file, a missing table, no permission) means: keep the
    rows, retry later.
    """
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated or exc.orig is None:
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in ("22", "23")
    return type(exc.orig).__name__ in ("DataError", "IntegrityError")
