"""Every resume prediction, one SQL row each: what was asked, what was answered, by which model.

A row is on disk before its answer leaves: in this worker's journal (``journal.py``) with an
id from a block the worker reserved, or, without a journal, committed. A writer thread commits
every row waiting at that moment in one transaction (a group commit), so a lone client costs
no commit wait and concurrent clients share commits (a commit cost 1.3 ms on SQLite and 7.9
ms on the local PostgreSQL, measured on a busy 2-core machine). Reading the history first
waits for this process's own rows, so a client sees its prediction the moment it asks. Only a
hash and a short preview of the resume are kept: resumes are personal data, and the hash
still finds repeats.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from modelworks.sdk.database import Base, sqlite_time, utcnow
from modelworks.services.resumes.journal import Journal

PREVIEW_CHARS = 200
_BLOCK_NAME = "resume_predictions"
_COLUMNS = ("created_at", "model_version", "request_id", "text_sha256", "text_preview",
            "text_chars", "label", "category", "probability", "latency_ms")
log = logging.getLogger(__name__)


class ResumePrediction(Base):
    """One classified resume."""

    __tablename__ = "resume_predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64))
    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    text_preview: Mapped[str] = mapped_column(String(PREVIEW_CHARS))
    text_chars: Mapped[int] = mapped_column(Integer)
    label: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64), index=True)
    probability: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class Page:
    """A page of the history, newest first, and how many rows match in all."""

    total: int
    items: list[dict[str, Any]]


def text_sha256(text: str) -> str:
    """The hash a resume is known by in the history and the log (the text is not kept)."""
    return hashlib.sha256(text.encode()).hexdigest()


def preview(text: str) -> str:
    """The first characters of a resume with its whitespace collapsed.

    NUL characters become U+FFFD: PostgreSQL text cannot hold them, and the preview is only
    there to be read. Only as much of the text as the preview needs is looked at (a resume
    runs to tens of kilobytes; collapsing all of it cost 0.1 ms a request).
    """
    window = PREVIEW_CHARS * 2
    while True:
        head = text[:window]
        collapsed = " ".join(head.replace("\x00", "\ufffd").split())
        if len(collapsed) > PREVIEW_CHARS or len(head) == len(text):
            break
        window *= 4
    return collapsed if len(collapsed) <= PREVIEW_CHARS else collapsed[:PREVIEW_CHARS - 1] + "…"


class ResumeIdBlock(Base):
    """The next prediction id no process has taken: processes take ids in blocks."""

    __tablename__ = "resume_id_blocks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_id: Mapped[int] = mapped_column(Integer)


class PredictionHistory:
    """Writes (journaled, then in group commits) and reads ``resume_predictions``.

    With a journal folder, a row is answered once it is in this process's journal (see
    ``journal.py``) with an id from a block this process reserved; the writer thread commits
    it moments later. Without one, or while no reserved id is at hand, a request waits for
    its row's commit, as every request did before the journal.
    """

    def __init__(self, engine: Engine, journal_dir: Path | None = None, *,
                 block_size: int = 1000, max_group: int = 256,
                 retry_seconds: float = 1.0, group_seconds: float = 0.05) -> None:
        self.engine = engine
        self.group_seconds = group_seconds
        self._urgent = False
        self.max_group = max_group
        self.block_size = block_size
        self.retry_seconds = retry_seconds
        self.journal = Journal(journal_dir) if journal_dir is not None else None
        self._waiting: list[tuple[dict[str, Any], Future[int] | None]] = []
        self._changed = threading.Condition()
        self._ids: deque[int] = deque()
        self._added = 0  # rows queued by this process, and how many of them are in SQL
        self._stored = 0
        self._writer_pid: int | None = None
        self._insert = insert(ResumePrediction)
        sqlite_insert = (insert(ResumePrediction)
                         .values({c: bindparam(c) for c in ("id", *_COLUMNS)})
                         .compile(dialect=sqlite.dialect()))
        self._sqlite_insert = str(sqlite_insert)
        self._sqlite_positions = tuple(sqlite_insert.positiontup or ())

    async def add(self, *, text: str, model_version: int, request_id: str, label: int,
                  category: str, probability: float, latency_ms: float,
                  digest: str | None = None) -> int:
        """Store one prediction; its id once it is journaled or committed (else an error).

        ``digest``: the text's ``text_sha256`` when the caller has it already.
        """
        row: dict[str, Any] = {
            "created_at": utcnow(), "model_version": model_version, "request_id": request_id,
            "text_sha256": digest or text_sha256(text), "text_preview": preview(text),
            "text_chars": len(text), "label": label, "category": category,
            "probability": probability, "latency_ms": latency_ms}
        with self._changed:
            self._start_writer()
            if self.journal is not None and self._ids:
                row["id"] = self._ids.popleft()
                try:
                    self.journal.append(row)
                except OSError:
                    log.exception("resume journal unwritable; waiting for the commit instead")
                    self._ids.appendleft(row.pop("id"))
                else:
                    self._queue(row, None)
                    return int(row["id"])
            stored: Future[int] = Future()
            self._queue(row, stored)
        return await asyncio.wrap_future(stored)

    def _queue(self, row: dict[str, Any], stored: Future[int] | None) -> None:
        self._waiting.append((row, stored))
        self._added += 1
        # Wake the writer only when it must act (a first row, a waiting request, a full
        # group): a journaled row otherwise waits for its gathering interval anyway, and
        # each wake-up takes the GIL from the event loop.
        if stored is not None or len(self._waiting) in (1, self.max_group):
            self._changed.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row this process queued so far is in SQL; False on timeout."""
        with self._changed:
            wanted = self._added
            self._urgent = True
            self._changed.notify_all()
            return self._changed.wait_for(lambda: self._stored >= wanted, timeout)

    def _commit_now(self) -> bool:
        """Whether the writer should commit without gathering more rows (lock held)."""
        return (self._urgent or len(self._waiting) >= self.max_group
                or any(stored is not None for _, stored in self._waiting))

    def stop(self) -> None:
        """Write what is queued before the process ends; what is not stays journaled."""
        if self._writer_pid == os.getpid() and not self.flush(timeout=10.0):
            log.warning("resume history rows left in the journal for the next start")

    def _start_writer(self) -> None:
        # A thread does not survive a fork: a forked worker starts its own on its first row.
        if self._writer_pid != os.getpid():
            self._writer_pid = os.getpid()
            self._ids.clear()
            if self.journal is not None:
                self.journal.open()
            threading.Thread(target=self._write_forever, name="resume-history-writer",
                             daemon=True).start()

    def _write_forever(self) -> None:
        # One connection kept by the writer: a checkout from the pool per group cost as much
        # as the insert. It is dropped after an error and opened again for the next group.
        connection: Connection | None = None
        replayed = self.journal is None
        while True:
            if not replayed:
                replayed = self._replay_orphans()
            self._reserve_if_low()
            with self._changed:
                while not self._waiting:
                    self._changed.wait(self.retry_seconds if not replayed else None)
                    if not replayed:
                        break
                # Journaled rows are safe already: gather them for a while, so a lone client
                # does not cost a commit per request. A waiting request or a reader does not
                # wait for that.
                self._changed.wait_for(self._commit_now, self.group_seconds)
                self._urgent = False
                group = self._waiting[:self.max_group]
                del self._waiting[:self.max_group]
            if not group:
                continue
            try:
                connection = self._commit(group, connection)
            except Exception as exc:
                if not isinstance(exc, DBAPIError):
                    log.exception("resume history writer failed")
                connection = None
                self._failed(group, exc)

    def _failed(self, group: list[tuple[dict[str, Any], Future[int] | None]],
                exc: Exception) -> None:
        """Waiting requests answer with the error; journaled rows are written again later."""
        kept = []
        for row, stored in group:
            if stored is None:
                kept.append((row, stored))
            elif not stored.done():  # a cancelled request has nobody to tell
                stored.set_exception(exc)
        with self._changed:
            self._stored += len(group) - len(kept)
            self._waiting[:0] = kept
            self._changed.notify_all()
        if kept:
            time.sleep(self.retry_seconds)  # the database is away: do not spin

    def _commit(self, group: list[tuple[dict[str, Any], Future[int] | None]],
                connection: Connection | None) -> Connection:
        """Insert the group in one transaction and hand each request its id; the connection."""
        # A request cancelled meanwhile (its client left) still has its prediction stored;
        # from here on no future can be cancelled, so setting its outcome cannot fail.
        waiting = [stored is not None and stored.set_running_or_notify_cancel()
                   for _, stored in group]
        rows = [row for row, _ in group]
        try:
            connection = connection or self.engine.connect()
            try:
                ids = self._insert_rows(connection, rows)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # The kept connection died (a database restart): once more on a fresh one,
                # as the pool's pre-ping would have done.
                connection.close()
                connection = self.engine.connect()
                ids = self._insert_rows(connection, rows)
        except Exception:
            if connection is not None:
                connection.invalidate()
                connection.close()
            raise
        for (_, stored), wanted, row_id in zip(group, waiting, ids, strict=True):
            if stored is not None and wanted:
                stored.set_result(row_id)
        if self.journal is not None:
            self.journal.committed(sum(stored is None for _, stored in group))
        with self._changed:
            self._stored += len(group)
            self._changed.notify_all()
        return connection

    def _insert_rows(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        with connection.begin():
            for row in rows:  # a request that could not be journaled has no id yet
                if "id" not in row:
                    with self._changed:
                        at_hand = self._ids.popleft() if self._ids else None
                    row["id"] = at_hand if at_hand is not None else self._reserve(connection,
                                                                                  1)[0]
            # Every row has its id now, so one executemany inserts the group, with nothing
            # to read back.
            if connection.dialect.name != "sqlite":
                connection.execute(self._insert, rows)
            else:
                # Straight to the driver (errors still come wrapped as SQLAlchemy's): through
                # SQLAlchemy's compiled statement a row cost 102 µs, more than the insert.
                connection.exec_driver_sql(self._sqlite_insert, [
                    tuple(sqlite_time(row[name]) if name == "created_at" else row[name]
                          for name in self._sqlite_positions) for row in rows])
            return [int(row["id"]) for row in rows]

    # -- ids and the journal ------------------------------------------------------------------
    def _reserve(self, connection: Connection, count: int) -> range:
        """Take ``count`` ids no other process will use (in the caller's transaction)."""
        taken = connection.execute(
            update(ResumeIdBlock).where(ResumeIdBlock.name == _BLOCK_NAME)
            .values(next_id=ResumeIdBlock.next_id + count)
            .returning(ResumeIdBlock.next_id)).scalar()
        if taken is None:  # the row went missing: start after the last prediction
            last = connection.execute(select(func.max(ResumePrediction.id))).scalar() or 0
            connection.execute(insert(ResumeIdBlock).values(name=_BLOCK_NAME,
                                                            next_id=int(last) + 1 + count))
            taken = int(last) + 1 + count
        return range(int(taken) - count, int(taken))

    def _reserve_if_low(self) -> None:
        """Keep a block of ids at hand for journaled rows (nothing without a journal)."""
        if self.journal is None:
            return
        with self._changed:
            if len(self._ids) > self.block_size // 2:
                return
        try:
            with self.engine.begin() as connection:
                block = self._reserve(connection, self.block_size)
        except Exception as exc:  # requests wait for their commit until the database is back
            if not isinstance(exc, DBAPIError):
                log.exception("cannot reserve resume prediction ids")
            return
        with self._changed:
            self._ids.extend(block)

    def _replay_orphans(self) -> bool:
        """Write the rows of journals whose process died; True once none is left."""
        assert self.journal is not None
        try:
            for path, rows in self.journal.orphans():
                with self.engine.begin() as connection:
                    for start in range(0, len(rows), 500):
                        chunk = rows[start:start + 500]
                        known = set(connection.scalars(select(ResumePrediction.id).where(
                            ResumePrediction.id.in_([row["id"] for row in chunk]))))
                        fresh = [row for row in chunk if row["id"] not in known]
                        if fresh:
                            connection.execute(insert(ResumePrediction), fresh)
                if rows:  # a process that stopped cleanly leaves an empty file
                    log.warning("resume predictions of a stopped process written from its "
                                "journal", extra={"rows": len(rows), "journal": path.name})
        except Exception as exc:
            if not isinstance(exc, DBAPIError):
                log.exception("cannot replay a resume journal")
            return False
        return True

    def page(self, *, limit: int, offset: int, category: str | None) -> Page:
        """Newest first, optionally one category only (after this process's rows are in)."""
        self.flush()
        query = select(*ResumePrediction.__table__.columns)
        count = select(func.count()).select_from(ResumePrediction)
        if category is not None:
            query = query.where(ResumePrediction.category == category)
            count = count.where(ResumePrediction.category == category)
        # Time first: processes take ids in blocks, so across workers ids are not in order.
        query = (query.order_by(ResumePrediction.created_at.desc(), ResumePrediction.id.desc())
                 .limit(limit).offset(offset))
        with self.engine.connect() as connection:
            total = int(connection.execute(count).scalar_one())
            rows = connection.execute(query).mappings().all()
        return Page(total, [_json(dict(row)) for row in rows])


def _json(row: dict[str, Any]) -> dict[str, Any]:
    created: datetime = row["created_at"]
    if created.tzinfo is None:  # SQLite keeps no zone; every row was written in UTC
        created = created.replace(tzinfo=UTC)
    return {"prediction_id": row["id"], "created_at": created.isoformat(),
            "model_version": row["model_version"], "request_id": row["request_id"],
            "text_sha256": row["text_sha256"], "text_preview": row["text_preview"],
            "text_chars": row["text_chars"], "label": row["label"], "category": row["category"],
            "probability": row["probability"], "latency_ms": round(row["latency_ms"], 3)}
