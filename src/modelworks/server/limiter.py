"""A brake on key guessing: failed credentials per client address, refused past a limit.

Every failed credential counts (a wrong key or token on any route, not only on
``POST /api/authenticate``). Failures are counted in this process at once and recorded in the
database, from which every worker (and machine) learns every ``sync`` which clients are over
the limit, so rotating between workers gains a guesser nothing. While the database is away the
count is this process's alone. The client address is the connection's peer, or what a
configured proxy says it forwarded for (``MODELWORKS_FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from modelworks.core.errors import ModelworksError
from modelworks.server.db import AuthFailure

log = logging.getLogger(__name__)
_MAX_CLIENTS = 10_000


class TooManyFailures(ModelworksError):
    """A client failed to authenticate too often; it must wait ``retry_after`` seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class FailureLimiter:
    """Counts failed authentications per client in a sliding window and refuses past a limit."""

    def __init__(self, max_failures: int, window_seconds: float,
                 engine: Engine | None = None) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.engine = engine
        self._failures: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}  # client -> monotonic time it may try again
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise ``TooManyFailures`` (429) while ``client`` is over the limit."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent(client, now)
            until = self._blocked.get(client, 0.0)
            if len(recent) >= self.max_failures:
                until = max(until, recent[0] + self.window_seconds)
        if until > now:
            wait = max(math.ceil(until - now), 1)
            raise TooManyFailures(
                f"too many failed authentications from this client; retry in {wait} s",
                retry_after=wait)

    def failed(self, client: str) -> None:
        """Count one failure of ``client`` here and, when it can, in the database."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent(client, now)
            already_over = (len(recent) >= self.max_failures
                            or self._blocked.get(client, 0.0) > now)
            recent.append(now)
            if len(self._failures) > _MAX_CLIENTS:  # forget idle clients: memory stays bounded
                cutoff = now - self.window_seconds
                for name in [c for c, times in self._failures.items()
                             if not times or times[-1] <= cutoff]:
                    del self._failures[name]
        # Past the limit a client is refused anyway: more rows would only let it fill the table.
        if self.engine is not None and not already_over:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(AuthFailure).values(
                        client=client[:64], at=datetime.now(UTC)))
            except SQLAlchemyError:
                log.warning("cannot record a failed authentication; counting it here only")

    def sync(self) -> None:
        """Learn which clients every process together has seen fail too often; drop old rows."""
        if self.engine is None:
            return
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self.window_seconds)
        with self.engine.begin() as connection:
            connection.execute(delete(AuthFailure).where(AuthFailure.at < since))
            rows = connection.execute(
                select(AuthFailure.client, func.count(), func.min(AuthFailure.at))
                .where(AuthFailure.at >= since).group_by(AuthFailure.client)
                .having(func.count() >= self.max_failures)).all()
        clock = time.monotonic()
        blocked = {}
        for client, _, first in rows:
            first = first if first.tzinfo else first.replace(tzinfo=UTC)  # SQLite drops it
            blocked[client] = clock + (first - since).total_seconds()
        with self._lock:
            self._blocked = blocked

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times
