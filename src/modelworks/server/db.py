"""Database schema and engine (SQLAlchemy 2); the schema is created by Alembic migrations."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelworks.core.plugins import GROUP
from modelworks.sdk.database import Base, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"


class ApiKey(Base):
    """An API key: only the sha256 of its secret is stored."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuthFailure(Base):
    """One failed authentication of a client (an address), kept for the rate limit's window."""

    __tablename__ = "auth_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Prediction(Base):
    """One served prediction."""

    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    service: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float)


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL mode and a busy timeout so readers never block the writer."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _owner_only(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that is gone, or a network that drops packets, must fail a call in seconds, not
    # hang a thread (the prediction log's writer, a key check) until TCP gives up.
    connect_args: dict[str, Any] = {
        "connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
        "keepalives_count": 3, "tcp_user_timeout": 10_000} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _owner_only(database: Path) -> None:
    """Make the SQLite file readable by its owner only, creating it if need be.

    It holds keys' hashes and clients' data; SQLite gives its WAL and shared-memory files the
    permissions of the database file.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in (database, database.with_name(database.name + "-wal"),
                 database.with_name(database.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o600)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migration_folders() -> list[Path]:
    """The core's versions, then each installed service's ``migrations`` folder, if it has one.

    A service's tables are its own: their migrations live beside its code, as a branch of
    their own, found from its entry point without importing the service.
    """
    folders = [MIGRATIONS / "versions"]
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        spec = importlib.util.find_spec(entry.value.split(":")[0])
        for location in (spec.submodule_search_locations or []) if spec else []:
            folder = Path(location) / "migrations"
            if folder.is_dir():
                folders.append(folder)
    return folders


def migrate(engine: Engine, cache_dir: Path | None = None) -> None:
    """Bring the schema to the newest migration of every branch (safe on every start).

    ``cache_dir`` keeps the heads of the installed migrations (keyed by their files): a
    database already at those heads is then left alone without importing Alembic, which
    was a sixth of a server's start.
    """
    folders = migration_folders()
    remembered = _heads_file(cache_dir, folders) if cache_dir is not None else None
    if remembered is not None and remembered.is_file():
        with contextlib.suppress(ValueError, OSError):
            if set(json.loads(remembered.read_text())) == _database_heads(engine):
                return
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations",
                           os.pathsep.join(str(folder) for folder in folders))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    if remembered is not None:
        heads = ScriptDirectory.from_config(config).get_heads()
        with contextlib.suppress(OSError):
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(json.dumps(sorted(heads)))


def _heads_file(cache_dir: Path, folders: list[Path]) -> Path:
    """Where the heads of exactly these migration files are remembered."""
    digest = hashlib.sha256()
    for folder in folders:
        for script in sorted(folder.glob("*.py")):
            stat = script.stat()
            digest.update(f"{script}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return cache_dir / f"migration-heads-{digest.hexdigest()[:16]}.json"


def _database_heads(engine: Engine) -> set[str]:
    """The revisions the database is at (none before its first migration)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return {str(row[0]) for row in connection.execute(
            text("SELECT version_num FROM alembic_version"))}


class Feedback(Base):
    """A client's rating of one item of a served prediction (the data for the next model)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    service: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    item: Mapped[str] = mapped_column(String(500))
    score: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(16))
