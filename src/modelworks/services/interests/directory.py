"""Users added or updated through ``POST /interests/users``: in SQL, mirrored in memory.

The database is the record (every accepted write survives a restart and is seen by every
worker); each worker keeps a dictionary of it so the request path reads no database. A worker
learns of other workers' writes two ways: ``sync()`` (run by the server every poll interval)
reads rows changed since its watermark, and a handle the worker has never seen is looked up
once by primary key, so a user added on one worker is found at once on another.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import DateTime, Engine, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from modelworks.sdk.database import Base, utcnow

# Rows committed out of timestamp order (two workers writing at once) are caught by re-reading
# a short window behind the watermark; re-reading a row is harmless.
_OVERLAP = timedelta(seconds=5)


class InterestUser(Base):
    """One user added through the API, with the titles they consumed."""

    __tablename__ = "interest_users"

    handle: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_type: Mapped[str] = mapped_column(String(3))
    consumed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class Profile:
    """What the model needs to know about a user, plus what the response shows."""

    handle: str
    name: str
    account_type: str
    title_ids: NDArray[np.int64]

    @property
    def b2b(self) -> bool:
        """True for business accounts."""
        return self.account_type == "B2B"


def _profile(row: InterestUser) -> Profile:
    return Profile(row.handle, row.name, row.account_type,
                   np.array(row.consumed.split(), dtype=np.int64))


class UserDirectory:
    """The API-added users of one worker, kept in step with the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._profiles: dict[str, Profile] = {}
        self._watermark: datetime | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of API-added users this worker knows."""
        return len(self._profiles)

    def cached(self, handle: str) -> Profile | None:
        """The profile if this worker has it in memory (no database access)."""
        return self._profiles.get(handle)

    def lookup(self, handle: str) -> Profile | None:
        """The profile from memory, else from the database by primary key (then kept)."""
        found = self._profiles.get(handle)
        if found is not None:
            return found
        with Session(self.engine) as session:
            row = session.get(InterestUser, handle)
            if row is None:
                return None
            profile = _profile(row)
        with self._lock:
            self._profiles.setdefault(handle, profile)
        return profile

    def sync(self) -> None:
        """Read rows changed since the last sync (run by the server every poll interval)."""
        self.read_changes()

    def read_changes(self) -> int:
        """Read rows changed since the last sync; returns how many were read."""
        query = select(InterestUser)
        if self._watermark is not None:
            query = query.where(InterestUser.updated_at >= self._watermark - _OVERLAP)
        with Session(self.engine) as session:
            rows = session.scalars(query).all()
            profiles = [(_profile(row), row.updated_at) for row in rows]
        with self._lock:
            for profile, updated_at in profiles:
                self._profiles[profile.handle] = profile
                if self._watermark is None or updated_at > self._watermark:
                    self._watermark = updated_at
        return len(profiles)

    def existing(self, handles: list[str]) -> set[str]:
        """Which of ``handles`` the database already holds."""
        with Session(self.engine) as session:
            return set(session.scalars(select(InterestUser.handle)
                                       .where(InterestUser.handle.in_(handles))))

    def upsert(self, profiles: list[Profile]) -> None:
        """Store the profiles (insert or replace, in one transaction), then serve them here."""
        now = utcnow()
        rows = [{"handle": p.handle, "name": p.name, "account_type": p.account_type,
                 "consumed": " ".join(map(str, p.title_ids.tolist())), "updated_at": now}
                for p in profiles]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(InterestUser)
        statement = statement.on_conflict_do_update(
            index_elements=[InterestUser.handle],
            set_={column: statement.excluded[column]
                  for column in ("name", "account_type", "consumed", "updated_at")})
        with self.engine.begin() as connection:
            connection.execute(statement, rows)
        with self._lock:
            for profile in profiles:
                self._profiles[profile.handle] = profile
