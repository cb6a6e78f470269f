"""Database-backed parts on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import alembic.command
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from modelworks.sdk.access import Scope
from modelworks.server.auth import KeyStore
from modelworks.server.db import ApiKey, Prediction, make_engine, migrate
from modelworks.server.prediction_log import PredictionLog


def test_keys_are_stored_hashed_and_verified(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent
    keys = KeyStore(engine)
    principal, plain = keys.create([Scope.PREDICT, Scope.TRAIN], "ci")
    with Session(engine) as session:
        stored = session.execute(select(ApiKey)).scalars().one()
    assert plain.split("_", 2)[-1] not in (stored.secret_sha256, stored.name, stored.scopes)
    assert stored.key_id == principal.key_id
    verified = keys.verify(plain)
    assert verified is not None
    assert verified.scopes == {Scope.PREDICT, Scope.TRAIN}
    assert not verified.allows(Scope.ADMIN)
    assert keys.verify(plain[:-1] + ("a" if plain[-1] != "a" else "b")) is None
    assert keys.verify("mw_unknown_secret") is None
    assert keys.verify("garbage") is None
    engine.dispose()


def test_prediction_log_writes_every_record_by_shutdown(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    log = PredictionLog(engine, flush_seconds=5.0, batch_size=64)
    log.start()
    for request in range(10):
        log.record(service="genres", model_version=3, request_id=f"r{request}",
                   inputs=[{"movie_id": str(i)} for i in range(25)],
                   outputs=[["Drama"]] * 25, latency_ms=50.0)
    log.stop()  # a clean shutdown drains the queue even before the flush interval
    with Session(engine) as session:
        rows = session.execute(select(Prediction)).scalars().all()
    assert len(rows) == 250
    assert {r.request_id for r in rows} == {f"r{i}" for i in range(10)}
    assert rows[0].latency_ms == 2.0
    assert rows[0].output == '["Drama"]'
    engine.dispose()


def test_feedback_needs_a_served_recommendation(database_url: str) -> None:
    from modelworks.server.db import Feedback
    from modelworks.server.feedback import FeedbackStore

    engine = make_engine(database_url)
    migrate(engine)
    log = PredictionLog(engine, flush_seconds=0.05)
    log.start()
    log.record(service="movies", model_version=1, request_id="rec-1",
               inputs=[{"age": 30}], outputs=[["Toy Story"]], latency_ms=0.3)
    log.stop()
    movies, genres = FeedbackStore(engine, "movies"), FeedbackStore(engine, "genres")
    assert movies.served("rec-1")
    assert not movies.served("rec-2")
    assert not genres.served("rec-1")
    movies.record("rec-1", "Toy Story", 4, "k" * 20)
    with Session(engine) as session:
        row = session.execute(select(Feedback)).scalars().one()
    assert (row.request_id, row.item, row.score, row.key_id) == ("rec-1", "Toy Story", 4, "k" * 16)
    assert row.created_at is not None
    engine.dispose()


def test_a_database_migrated_before_services_had_their_own_branches_upgrades_in_place(
        database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO interest_users (handle, name, account_type, "
                                "consumed, updated_at) VALUES ('h', 'Ana', 'B2C', '1 2', "
                                ":now)"), {"now": datetime.now(UTC)})
        # What an older server left: the core chain at 0008, the service tables already made.
        connection.execute(text("DELETE FROM alembic_version WHERE version_num <> '0008'"))
    migrate(engine)
    with engine.connect() as connection:
        versions = sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))
        kept = connection.scalar(text("SELECT name FROM interest_users WHERE handle = 'h'"))
    assert versions == ["0008", "interests_0001", "resumes_0002", "similarity_0001"]
    assert kept == "Ana"
    engine.dispose()


def test_remembered_heads_skip_only_a_database_already_at_them(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    migrate(make_engine(database_url), cache_dir=cache)
    assert len(list(cache.glob("migration-heads-*.json"))) == 1

    def no_upgrade(*args: object) -> None:
        raise AssertionError("a database at the remembered heads was migrated again")

    with monkeypatch.context() as patched:
        patched.setattr(alembic.command, "upgrade", no_upgrade)
        migrate(make_engine(database_url), cache_dir=cache)
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh, cache_dir=cache)  # same heads remembered, but this one has no tables yet
    with Session(fresh) as session:
        assert session.scalar(select(func.count()).select_from(Prediction)) == 0
