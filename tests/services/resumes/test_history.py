"""The resume history's group commits, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError

from modelworks.server.db import make_engine, migrate
from modelworks.services.resumes.history import (
    PREVIEW_CHARS,
    PredictionHistory,
    ResumePrediction,
    preview,
)


@pytest.fixture
def engine(database_url: str) -> Engine:
    made = make_engine(database_url)
    migrate(made)
    return made


def add(history: PredictionHistory, number: int) -> asyncio.Future[int]:
    return asyncio.ensure_future(history.add(
        text=f"resume {number}", model_version=1, request_id=f"r{number}", label=number % 14,
        category="Java Developer", probability=0.5, latency_ms=1.0))


def stored_request_ids(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(ResumePrediction.id,
                                              ResumePrediction.request_id)).all())


def test_concurrent_rows_share_commits_and_each_gets_its_own_id(engine: Engine) -> None:
    history = PredictionHistory(engine)
    commits = 0
    counting = threading.Lock()
    original = history._commit

    def counted(*args: Any) -> Any:
        nonlocal commits
        with counting:
            commits += 1
        return original(*args)

    history._commit = counted  # type: ignore[method-assign]

    async def burst() -> list[int]:
        return list(await asyncio.gather(*(add(history, n) for n in range(200))))

    ids = asyncio.run(burst())
    stored = stored_request_ids(engine)
    assert len(set(ids)) == 200
    assert [stored[row_id] for row_id in ids] == [f"r{n}" for n in range(200)]
    assert commits < 200  # grouped: the writer took what had queued while it committed


def test_one_client_at_a_time_is_stored_before_its_answer(engine: Engine) -> None:
    history = PredictionHistory(engine)

    async def one_by_one() -> None:
        for number in range(5):
            row_id = await add(history, number)
            assert stored_request_ids(engine)[row_id] == f"r{number}"

    asyncio.run(one_by_one())


def test_a_database_error_reaches_every_waiting_request(tmp_path: object) -> None:
    broken = make_engine("sqlite:////nonexistent-folder/history.db")  # never migrated, unopenable
    history = PredictionHistory(broken)

    async def burst() -> list[object]:
        return list(await asyncio.gather(*(add(history, n) for n in range(20)),
                                         return_exceptions=True))

    outcomes = asyncio.run(burst())
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)


def test_a_request_cancelled_while_waiting_still_has_its_row_stored(engine: Engine) -> None:
    history = PredictionHistory(engine)

    async def cancel_one() -> int:
        leaving = add(history, 1)
        staying = add(history, 2)
        await asyncio.sleep(0)
        leaving.cancel()
        return await staying

    asyncio.run(cancel_one())
    for _ in range(100):  # the writer may still be committing the group
        if set(stored_request_ids(engine).values()) == {"r1", "r2"}:
            break
        threading.Event().wait(0.05)
    assert set(stored_request_ids(engine).values()) == {"r1", "r2"}


def test_the_writer_reconnects_when_the_database_drops_its_connection(engine: Engine,
                                                                      database_url: str
                                                                      ) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("only a database server can drop a connection")
    history = PredictionHistory(engine)

    async def two_adds() -> tuple[int, int]:
        first = await add(history, 1)
        with engine.connect() as admin:  # what a database restart does to the writer
            admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        return first, await add(history, 2)

    first, second = asyncio.run(two_adds())
    stored = stored_request_ids(engine)
    assert (stored[first], stored[second]) == ("r1", "r2")


@pytest.mark.parametrize("seed", range(5))
def test_the_preview_reads_only_what_it_needs_and_matches_the_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["a", "bb", " ", "   \n", "\x00", "word", "\t" * 900, "é", "x" * 300]
    for _ in range(400):
        resume = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        collapsed = " ".join(resume.replace("\x00", "\ufffd").split())
        whole = (collapsed if len(collapsed) <= PREVIEW_CHARS
                 else collapsed[:PREVIEW_CHARS - 1] + "…")
        assert preview(resume) == whole


def test_an_unexpected_writer_error_fails_its_group_and_the_writer_goes_on(engine: Engine
                                                                          ) -> None:
    history = PredictionHistory(engine)
    original = history._commit
    failures = iter([RuntimeError("a bug in the writer")])

    def once_broken(*args: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return original(*args)

    history._commit = once_broken  # type: ignore[method-assign]

    async def two_adds() -> tuple[object, int]:
        first = await asyncio.gather(add(history, 1), return_exceptions=True)
        return first[0], await add(history, 2)

    failed, stored_id = asyncio.run(two_adds())
    assert isinstance(failed, RuntimeError)
    assert stored_request_ids(engine)[stored_id] == "r2"
