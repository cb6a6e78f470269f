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


class Base(DeclarativeBase):
    """Declarative base of every table."""
