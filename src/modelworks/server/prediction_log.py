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
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from modelworks.server.db import Prediction
from modelworks.server.spool import Record, Spool

log = logging.getLogger(__name__)
_PING_SECONDS = 2.0
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
        self._spool = Spool(spool_dir) if spool_dir is not None else None
        self.database_error: str | None = None
        """Why the last write or check failed; ``None`` while the database answers."""
        self._next_retry = 0.0
        self._last_contact = time.monotonic()

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

    def count(self, service: str, items: int) -> None:
        """Count predictions a service keeps elsewhere (or not at all) in the metrics only."""
        if self._counter is not None:
            self._counter.labels(service).inc(items)

    def record(self, *, service: str, model_version: int, request_id: str, inputs: list[Any],
               outputs: list[Any], latency_ms: float) -> None:
        """Queue one row per (input, output) pair; the batch latency is shared evenly."""
        now = datetime.now(UTC)
        share = latency_ms / max(len(inputs), 1)
        if self._counter is not None:
            self._counter.labels(service).inc(len(inputs))
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
        if self.spooled and (stopping or time.monotonic() >= self._next_retry):
            self._replay()
        if batch:
            if self.spooled:  # keep the order: nothing overtakes what waits in the spool
                self._to_spool(batch)
            else:
                self._write(batch)
        elif time.monotonic() - self._last_contact > _PING_SECONDS:
            self._ping()

    def _drain(self) -> list[Record]:
        rest: list[Record] = []
        while True:
            try:
                rest.append(self._queue.get_nowait())
            except queue.Empty:
                return rest

    def _write(self, batch: list[Record]) -> None:
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start:start + self.batch_size]
            try:
                self._insert(chunk)
            except Exception as exc:  # anything but a refused row: keep the batch for later
                if _refused(exc):
                    self._insert_one_by_one(chunk)
                    continue
                self._went_away(exc)
                self._to_spool(batch[start:])
                return

    def _replay(self) -> None:
        assert self._spool is not None
        records = self._spool.read()
        try:
            for start in range(0, len(records), self.batch_size):
                chunk = records[start:start + self.batch_size]
                try:
                    self._insert(chunk)
                except Exception as exc:
                    if not _refused(exc):
                        raise
                    self._insert_one_by_one(chunk)
        except Exception as exc:
            # Rows of chunks already inserted stay, and are written again next time: a
            # record may appear twice after an outage, never not at all.
            self._went_away(exc)
            return
        self._spool.clear()
        log.info("spooled predictions written", extra={"rows": len(records)})

    def _insert(self, chunk: list[Record]) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(Prediction), chunk)
        self._back()

    def _insert_one_by_one(self, chunk: list[Record]) -> None:
        for record in chunk:
            try:
                self._insert([record])
            except Exception as exc:
                if not _refused(exc):
                    raise
                self._reject(record, exc)

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
            Spool(self._spool.folder, "rejected").append([{**record, "error": str(exc)[:300]}])

    def _went_away(self, exc: Exception) -> None:
        if self.database_error is None:
            log.error("database unreachable; predictions go to the spool",
                      extra={"error": str(exc)[:300]})
        self.database_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        self._next_retry = time.monotonic() + _RETRY_SECONDS
        self._last_contact = time.monotonic()

    def _back(self) -> None:
        if self.database_error is not None:
            log.warning("database reachable again")
        self.database_error = None
        self._last_contact = time.monotonic()


def _refused(exc: Exception) -> bool:
    """Whether the database answered and refused the rows (bad data), rather than being away.

    Everything else (no connection, a timeout, a locked file) means: keep the rows, retry.
    """
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    name = type(exc.orig).__name__ if exc.orig is not None else ""
    return name in {"DataError", "IntegrityError", "ProgrammingError"} or (
        "value too long" in str(exc))
