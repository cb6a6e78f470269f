"""The prediction log: records queued by the request path, written in batches by one thread."""

from __future__ import annotations

import logging
import queue
import threading
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter
from sqlalchemy import Engine, insert

from modelworks.server.db import Prediction

log = logging.getLogger(__name__)


class PredictionLog:
    """Accepts records without touching the database; a writer thread inserts them in batches.

    A record waits at most ``flush_seconds`` before its batch is written. ``stop()`` drains the
    queue, so a clean shutdown loses nothing; a crash can lose at most the last
    ``flush_seconds`` of records.
    """

    def __init__(self, engine: Engine, *, flush_seconds: float = 0.2, batch_size: int = 500,
                 counter: Counter | None = None) -> None:
        self.engine = engine
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._counter = counter

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write everything queued, then stop the writer."""
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

    def _run(self) -> None:
        # Wake on a timer, not per record: a waiting queue.get() would hand the GIL to this
        # thread on every request and write tiny batches.
        while True:
            stopping = self._stopping.wait(self.flush_seconds)
            batch = self._drain()
            if batch:
                self._write(batch)
            if stopping:
                return

    def _drain(self) -> list[dict[str, Any]]:
        rest: list[dict[str, Any]] = []
        while True:
            try:
                rest.append(self._queue.get_nowait())
            except queue.Empty:
                return rest

    def _write(self, batch: list[dict[str, Any]]) -> None:
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start:start + self.batch_size]
            for attempt in range(3):
                try:
                    with self.engine.begin() as connection:
                        connection.execute(insert(Prediction), chunk)
                    break
                except Exception:
                    log.exception("prediction log write failed", extra={"attempt": attempt + 1,
                                                                        "rows": len(chunk)})
