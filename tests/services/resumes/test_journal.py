"""The resume history's journal: answered at once, in SQL soon after, and kept through a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import Engine, select, text

from modelworks.server.db import make_engine, migrate
from modelworks.services.resumes.history import PredictionHistory, ResumePrediction
from tests.services.resumes.test_history import add, stored_request_ids


def _engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def test_journaled_rows_reach_sql_in_order_and_the_journal_empties(
        tmp_path: Path, database_url: str) -> None:
    engine = _engine(database_url)
    history = PredictionHistory(engine, tmp_path / "journal", block_size=8)

    async def answer() -> list[int]:
        ids = [await add(history, n) for n in range(20)]  # past two blocks of 8
        return ids + list(await asyncio.gather(*(add(history, n) for n in range(20, 40))))

    ids = asyncio.run(answer())
    assert history.flush(timeout=10)
    stored = stored_request_ids(engine)
    assert len(set(ids)) == 40
    assert {stored[i] for i in ids} == {f"r{n}" for n in range(40)}
    assert ids[:20] == sorted(ids[:20])  # one client: ever larger ids
    assert [p.stat().st_size for p in (tmp_path / "journal").glob("*.jsonl")] == [0]
    page = history.page(limit=3, offset=0, category=None)
    assert next(item["request_id"] for item in page.items) in {f"r{n}" for n in range(20, 40)}


CRASHING_WORKER = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from modelworks.server.db import make_engine
    from modelworks.services.resumes.history import PredictionHistory

    history = PredictionHistory(make_engine(sys.argv[1]), Path(sys.argv[2]), block_size=100)

    async def add(n):
        return await history.add(text=f"resume {n}", model_version=1, request_id=f"r{n}",
                                 label=1, category="Java Developer", probability=0.5,
                                 latency_ms=1.0)

    async def main():
        print(await add(0), flush=True)  # committed: the writer now holds a block of ids
        history.flush()
        print("ready", flush=True)
        sys.stdin.readline()  # the test has locked the table: nothing more can be committed
        for n in range(1, 31):
            print(await add(n), flush=True)
        print("answered", flush=True)
        sys.stdin.readline()  # killed here

    asyncio.run(main())
""")


def test_answered_rows_survive_a_kill_and_are_written_by_the_next_process(
        tmp_path: Path, database_url: str) -> None:
    engine = _engine(database_url)
    journal = tmp_path / "journal"
    worker = subprocess.Popen([sys.executable, "-c", CRASHING_WORKER, database_url,
                               str(journal)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert worker.stdin is not None
    assert worker.stdout is not None
    ids = [int(worker.stdout.readline())]
    assert worker.stdout.readline().strip() == "ready"
    with engine.connect() as blocker:  # hold the table so the worker's commits wait
        if engine.dialect.name == "sqlite":
            blocker.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            blocker.execute(text("LOCK TABLE resume_predictions IN ACCESS EXCLUSIVE MODE"))
        worker.stdin.write("go\n")
        worker.stdin.flush()
        lines = [worker.stdout.readline().strip() for _ in range(31)]
        assert lines[-1] == "answered"
        ids += [int(line) for line in lines[:-1]]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        blocker.rollback()
    assert set(stored_request_ids(engine)) == {ids[0]}  # only the row committed before

    successor = PredictionHistory(engine, journal)

    async def one() -> int:
        return await add(successor, 99)

    asyncio.run(one())  # its writer starts, finds the dead journal, writes it
    assert successor.flush(timeout=10)
    stored = stored_request_ids(engine)
    for _ in range(100):
        if set(ids) <= set(stored):
            break
        time.sleep(0.05)
        stored = stored_request_ids(engine)
    assert {stored[i] for i in ids} == {f"r{n}" for n in range(31)}
    with engine.connect() as connection:
        assert connection.execute(select(ResumePrediction.id)).all()
    assert len(list(journal.glob("*.jsonl"))) == 1  # the dead one is gone; the new one stays
