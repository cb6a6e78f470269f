"""The ``jobs`` table and every state change a job goes through.

States: ``queued`` (waiting for room) → ``running`` → ``succeeded`` | ``failed``; ``cancelled``
from either of the first two. The table is the queue: a server claims queued jobs with
:meth:`JobStore.claim` when its machine has room (one running job per service, at most
``max_running`` per machine), which moves them to ``running`` and names the machine. Each
change is one conditional UPDATE, so a job cancelled while it finishes ends in exactly one
final state. A running job's process writes a heartbeat every second; a running job whose
heartbeat stops (the process or the machine died) is marked failed by
:meth:`JobStore.fail_abandoned`, which every server runs periodically. Queued jobs wait as
long as they must.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Float,
    String,
    Text,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelworks.core.errors import NotFound
from modelworks.sdk.database import Base, utcnow

ABANDONED_AFTER = timedelta(seconds=20)


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)


class Job(Base):
    """One training job."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(Float)
    step: Mapped[str] = mapped_column(String(200))
    options: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)


@dataclass(frozen=True)
class JobRecord:
    """A job as the API shows it."""

    id: str
    service: str
    state: str
    progress: float
    step: str
    options: dict[str, Any]
    data: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """The body of ``GET /jobs/{id}``; ``progress`` in percent."""
        return {"job_id": self.id, "service": self.service, "state": self.state,
                "progress": round(self.progress * 100, 1), "step": self.step,
                "options": self.options, "data": self.data,
                "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
                "finished_at": _iso(self.finished_at), "result": self.result,
                "error": self.error}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


class JobStore:
    """Reads and writes job records."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, service: str, options: dict[str, Any], data: str,
               job_id: str | None = None) -> str:
        """Record a queued job whose data is ready (a path, or ``prepared``); its id."""
        job_id = job_id or str(uuid.uuid4())
        with self.engine.begin() as connection:
            connection.execute(insert(Job).values(
                id=job_id, service=service, state=JobState.QUEUED.value, progress=0.0,
                step="queued", options=json.dumps(options), data=data, created_at=utcnow()))
        return job_id

    def get(self, job_id: str) -> JobRecord:
        """One job; ``NotFound`` when there is none with that id."""
        with self.engine.connect() as connection:
            row = connection.execute(select(*Job.__table__.columns).where(Job.id == job_id)
                                     ).mappings().first()
        if row is None:
            raise NotFound(f"no job {job_id[:40]!r}")
        return _record(row)

    def recent(self, service: str | None = None, limit: int = 50) -> list[JobRecord]:
        """Newest jobs first."""
        query = select(*Job.__table__.columns).order_by(Job.created_at.desc()).limit(limit)
        if service is not None:
            query = query.where(Job.service == service)
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def counts_by_state(self) -> dict[str, int]:
        """How many jobs are in each state (every state named, zero included)."""
        query = select(Job.state, func.count()).group_by(Job.state)
        with self.engine.connect() as connection:
            found = {state: int(count) for state, count in connection.execute(query)}
        return {state.value: found.get(state.value, 0) for state in JobState}

    def claim(self, host: str, max_running: int) -> list[str]:
        """Move the oldest queued jobs there is room for to running on ``host``; their ids.

        Room: no other running job of the same service (anywhere), and fewer than
        ``max_running`` running on ``host``. The caller serialises claims (see the runner).
        """
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # machines claim one after another
                connection.execute(text("SELECT pg_advisory_xact_lock(7215401)"))
            running = connection.execute(select(Job.service, Job.host).where(
                Job.state == JobState.RUNNING.value)).all()
            busy = {service for service, _ in running}
            room = max_running - sum(1 for _, where in running if where == host)
            claimed: list[str] = []
            queued = connection.execute(select(Job.id, Job.service).where(
                Job.state == JobState.QUEUED.value).order_by(Job.created_at))
            for job_id, service in queued.all():
                if room <= 0:
                    break
                if service in busy:
                    continue
                now = utcnow()
                changed = connection.execute(update(Job).where(
                    Job.id == job_id, Job.state == JobState.QUEUED.value).values(
                    state=JobState.RUNNING.value, host=host, started_at=now, heartbeat_at=now,
                    step="starting")).rowcount
                if changed:
                    claimed.append(job_id)
                    busy.add(service)
                    room -= 1
        return claimed

    def queued(self) -> int:
        """How many jobs wait for room."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Job).where(
                Job.state == JobState.QUEUED.value)) or 0)

    def begin(self, job_id: str) -> bool:
        """The job's process takes over a claimed job; ``False`` if it was cancelled meanwhile."""
        return self._change(job_id, (JobState.RUNNING.value,), heartbeat_at=utcnow(),
                            step="loading the data")

    def known_ids(self, job_ids: list[str]) -> set[str]:
        """Which of ``job_ids`` are in the table at all."""
        if not job_ids:
            return set()
        with self.engine.connect() as connection:
            return set(connection.scalars(select(Job.id).where(Job.id.in_(job_ids))))

    def queued_for(self, service: str) -> int:
        """How many jobs of ``service`` wait for room."""
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Job).where(
                Job.state == JobState.QUEUED.value, Job.service == service)) or 0)

    def finished_ids(self, job_ids: list[str]) -> set[str]:
        """Which of ``job_ids`` are over (in a final state) or unknown."""
        if not job_ids:
            return set()
        with self.engine.connect() as connection:
            active = set(connection.scalars(select(Job.id).where(
                Job.id.in_(job_ids), Job.state.in_(ACTIVE))))
        return set(job_ids) - active

    def report(self, job_id: str, step: str, fraction: float) -> bool:
        """Progress of a running job; ``False`` once it is no longer running (cancelled)."""
        return self._change(job_id, (JobState.RUNNING.value,), step=step[:200],
                            progress=min(max(fraction, 0.0), 1.0), heartbeat_at=utcnow())

    def heartbeat(self, job_id: str) -> bool:
        """The process is alive; ``False`` once the job is no longer running."""
        return self._change(job_id, (JobState.RUNNING.value,), heartbeat_at=utcnow())

    def succeed(self, job_id: str, result: dict[str, Any]) -> bool:
        """Running → succeeded with its result."""
        return self._change(job_id, (JobState.RUNNING.value,), state=JobState.SUCCEEDED.value,
                            progress=1.0, step="done", result=json.dumps(result),
                            finished_at=utcnow())

    def fail(self, job_id: str, error: str) -> bool:
        """Queued or running → failed with the reason."""
        return self._change(job_id, ACTIVE, state=JobState.FAILED.value, error=error[:4000],
                            finished_at=utcnow())

    def cancel(self, job_id: str) -> JobRecord:
        """Queued or running → cancelled (the process notices within a second and exits).

        A job already finished stays as it is; the record is returned either way.
        """
        record = self.get(job_id)
        self._change(job_id, ACTIVE, state=JobState.CANCELLED.value, step="cancelled",
                     finished_at=utcnow())
        return self.get(record.id)

    def fail_abandoned(self, now: datetime | None = None) -> int:
        """Mark failed every running job whose process has not been heard from for a while."""
        cutoff = (now or utcnow()) - ABANDONED_AFTER
        silent = or_(Job.heartbeat_at < cutoff, Job.heartbeat_at.is_(None))
        with self.engine.begin() as connection:
            result = connection.execute(
                update(Job).where(Job.state == JobState.RUNNING.value, silent).values(
                    state=JobState.FAILED.value, finished_at=utcnow(),
                    error="the training process stopped without finishing (crash or restart); "
                          "start the job again"))
        return int(result.rowcount)

    def _change(self, job_id: str, from_states: tuple[str, ...], **values: Any) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(Job).where(
                Job.id == job_id, Job.state.in_(from_states)).values(**values))
        return bool(result.rowcount)


def _record(row: Any) -> JobRecord:
    return JobRecord(
        id=row["id"], service=row["service"], state=row["state"], progress=row["progress"],
        step=row["step"], options=json.loads(row["options"]), data=row["data"],
        created_at=row["created_at"], started_at=row["started_at"],
        finished_at=row["finished_at"],
        result=json.loads(row["result"]) if row["result"] else None, error=row["error"])
