"""The resume history's group commits, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from modelworks.server.db import make_engine, migrate
from modelworks.services.resumes.history import PredictionHistory, ResumePrediction


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

    def counted(group: list) -> None:  # type: ignore[type-arg]
        nonlocal commits
        with counting:
            commits += 1
        original(group)

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
