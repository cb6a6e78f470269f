"""A database outage loses no answered prediction (issue 15, item 5).

PostgreSQL sits behind a TCP proxy the test cuts and restores. While it is cut, requests are
still answered (keys verified a moment ago stay valid), records go to the spool, ``/readyz``
and ``/metrics`` say so, and when it is back every answered recommendation reaches the table.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from modelworks.server.db import Prediction, make_engine, migrate
from modelworks.server.prediction_log import PredictionLog
from modelworks.server.spool import Spool
from tests.conftest import POSTGRES_URL, copy_registry, make_settings, reset_postgres
from tests.reliability.tcp_proxy import TcpProxy

PROFILE = {"age": 30, "gender": "F", "occupation": "engineer"}


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    reset_postgres()
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.up()
    yield proxy
    proxy.down()


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets, movies_registry: Path,
             proxy: TcpProxy) -> Settings:
    copy_registry(movies_registry, tmp_path)
    url = POSTGRES_URL.replace(":5432/", f":{proxy.port}/")
    return make_settings(tmp_path, minilm_assets, database_url=url, services=["movies"],
                         auth=AuthMode.REQUIRED)


def stored(request_ids: list[str]) -> int:
    """How many of these recommendations the predictions table holds (read past the proxy)."""
    engine = make_engine(POSTGRES_URL)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Prediction).where(
                Prediction.request_id.in_(request_ids))) or 0)
    finally:
        engine.dispose()


def eventually(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def recommend(client: TestClient, headers: dict[str, str], count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = client.post("/api/recommend", json=PROFILE, headers=headers)
        assert response.status_code == 200, response.text
        ids.append(response.headers["x-recommendation-id"])
    return ids


def spool_metric(client: TestClient) -> float:
    found = re.search(r"^modelworks_prediction_spool_records (\S+)$",
                      client.get("/metrics").text, re.MULTILINE)
    assert found
    return float(found.group(1))


def test_an_outage_loses_no_answered_prediction(settings: Settings, proxy: TcpProxy) -> None:
    with TestClient(create_app(settings)) as client:
        headers = {"X-API-Key": settings.admin_key_file.read_text().strip()}
        answered = recommend(client, headers, 20)
        proxy.down()
        answered += recommend(client, headers, 20)
        time.sleep(5.5)  # past the 5 s a verified key is remembered: only the grace is left
        answered += recommend(client, headers, 20)
        eventually(lambda: client.get("/readyz").json()["spooled"] > 0)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["database"] != "ok"
        assert spool_metric(client) > 0
        unknown = client.post("/api/recommend", json=PROFILE,
                              headers={"X-API-Key": "mw_000000000000_never-seen"})
        assert unknown.status_code == 503  # a key nobody verified cannot be checked now
        proxy.up()
        eventually(lambda: client.get("/readyz").json()["spooled"] == 0)
        assert client.get("/readyz").json()["status"] == "ready"
        assert spool_metric(client) == 0
    assert stored(answered) == len(answered) == 60


def test_records_spooled_at_a_clean_stop_are_written_after_the_restart(
        settings: Settings, proxy: TcpProxy) -> None:
    with TestClient(create_app(settings)) as client:
        headers = {"X-API-Key": settings.admin_key_file.read_text().strip()}
        answered = recommend(client, headers, 5)
        proxy.down()
        answered += recommend(client, headers, 15)
    assert list(settings.spool_dir.glob("*.jsonl"))  # the stop put them in the spool
    proxy.up()
    with TestClient(create_app(settings)) as client:
        eventually(lambda: stored(answered) == len(answered))
        assert client.get("/readyz").json()["spooled"] == 0


def test_a_row_the_database_refuses_is_kept_aside_and_the_rest_written(tmp_path: Path) -> None:
    reset_postgres()
    engine = make_engine(POSTGRES_URL)
    migrate(engine)
    log = PredictionLog(engine, flush_seconds=0.05, spool_dir=tmp_path / "spool")
    log.start()
    for service in ("movies", "x" * 100, "movies"):  # the second is too long for its column
        log.record(service=service, model_version=1, request_id=f"r-{len(service)}",
                   inputs=[{"a": 1}], outputs=[["b"]], latency_ms=1.0)
    log.stop()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Prediction)) == 2
    [rejected] = (tmp_path / "spool").glob("rejected@*.jsonl")
    assert "x" * 100 in rejected.read_text()
    engine.dispose()


def test_a_dead_process_spool_is_adopted_and_written(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    dead_pid = 2**22 + 11  # above pid_max: never running
    host = socket.gethostname()
    orphan = Spool(tmp_path / "spool")
    orphan.folder.mkdir()
    records = [{"created_at": datetime.now(UTC), "service": "movies", "model_version": 1,
                "request_id": f"orphan-{i}", "input": "{}", "output": "[]", "latency_ms": 1.0}
               for i in range(3)]
    orphan.path = orphan.folder / f"predictions@{host}@{dead_pid}.jsonl"
    orphan.append(records[:2])
    claimed_by_dead = (orphan.folder /
                       f".claimed-{dead_pid + 1}-predictions@{host}@{dead_pid + 2}.jsonl")
    claimed_by_dead.write_bytes(orphan.path.read_bytes().splitlines(keepends=True)[0]
                                .replace(b"orphan-0", b"orphan-2"))
    other_host = orphan.folder / f"predictions@{host}-2@{dead_pid}.jsonl"  # not this host's
    other_host.write_bytes(b"")
    log = PredictionLog(engine, flush_seconds=0.05, spool_dir=tmp_path / "spool")
    log.start()
    deadline = time.monotonic() + 10
    while log.spooled and time.monotonic() < deadline:
        time.sleep(0.05)
    log.stop()
    with Session(engine) as session:
        written = sorted(session.scalars(select(Prediction.request_id)))
    assert written == ["orphan-0", "orphan-1", "orphan-2"]
    assert sorted(p.name for p in orphan.folder.iterdir()) == [other_host.name]
    engine.dispose()
