"""The declarative base every table derives from, a service's own tables included.

One metadata for all tables, so one migration chain (``server/migrations``) creates them; a
service defines its tables here-derived in its own folder.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


def sqlite_time(moment: datetime) -> str:
    """A time as SQLAlchemy stores a ``DateTime`` in SQLite (UTC).

    For rows written through the driver directly: reads and ordering through SQLAlchemy stay
    as they were.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Base(DeclarativeBase):
    """Declarative base of every table."""
