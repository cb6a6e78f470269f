"""Training runs one job per service at a time in bounded numbers, and data stays private
(issue 15, items 2, 9 and 10).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from modelworks.server.auth import KeyStore, Scope
from modelworks.server.db import make_engine, migrate
from modelworks.server.jobs.runner import JobRunner, QueueFull
from modelworks.server.jobs.store import JobStore
from tests.conftest import PEER_SAMPLES, copy_registry, make_settings
from tests.reliability.conftest import uvicorn_thread


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets, genres_registry: Path,
             resumes_registry: Path) -> Settings:
    copy_registry(genres_registry, tmp_path)
    copy_registry(resumes_registry, tmp_path)
    return make_settings(tmp_path, minilm_assets, services=["genres", "resumes"], max_jobs=1,
                         live_poll_seconds=0.2)


def test_two_synchronous_trainings_at_once_both_finish(settings: Settings) -> None:
    train_csv = (PEER_SAMPLES / "sample_train.csv").read_bytes()
    answers: list[httpx.Response] = []
    with uvicorn_thread(create_app(settings)) as url:
        def train() -> None:
            answers.append(httpx.post(f"{url}/genres/train", timeout=300,
                                      files={"file": ("train.csv", train_csv, "text/csv")}))

        threads = [threading.Thread(target=train) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads), "a training hung"
        jobs = httpx.get(f"{url}/jobs").json()["jobs"]
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.json()["version"] for a in answers) == [2, 3]
    assert [job["state"] for job in jobs] == ["succeeded", "succeeded"]


def test_jobs_beyond_the_machine_limit_wait_in_the_queue(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        started = [client.post(f"/models/{service}/train",
                               data={"model": "naive-bayes"} if service == "resumes" else {},
                               files=None if service == "resumes" else {"file": (
                                   "t.csv", (PEER_SAMPLES / "sample_train.csv").read_bytes())})
                   for service in ("resumes", "genres")]
        assert [s.status_code for s in started] == [202, 202]
        deadline = time.monotonic() + 240
        while True:
            jobs = [client.get(f"/jobs/{s.json()['job_id']}").json() for s in started]
            if all(job["state"] in ("succeeded", "failed") for job in jobs):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.2)
    assert [job["state"] for job in jobs] == ["succeeded", "succeeded"]
    first, second = sorted(jobs, key=lambda job: job["started_at"])
    assert second["started_at"] >= first["finished_at"]  # MODELWORKS_MAX_JOBS=1: it waited


def test_an_upload_is_owner_only_while_its_job_waits_and_gone_once_it_ends(
        settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    store = JobStore(engine)
    blocker = store.create("genres", {}, "prepared")
    assert store.claim("elsewhere", 1) == [blocker]  # genres is busy: the next one waits
    runner = JobRunner(settings, store)
    job_id = runner.submit("genres", {}, b"movie_id,synopsis,genres\n1,a,Drama\n")
    upload = runner.upload_path(job_id)
    assert store.get(job_id).state == "queued"
    assert upload.stat().st_mode & 0o777 == 0o600
    assert upload.parent.stat().st_mode & 0o777 == 0o700
    store.cancel(job_id)
    arriving = runner.uploads_dir / "submitting-now"  # its row is not in the table yet
    arriving.mkdir()
    forgotten = runner.uploads_dir / "submitter-died"
    forgotten.mkdir()
    os.utime(forgotten, (time.time() - 3600, time.time() - 3600))
    runner.sweep()
    assert not upload.parent.exists()
    assert arriving.exists()
    assert not forgotten.exists()
    engine.dispose()


def test_a_service_cannot_queue_more_than_its_share(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    store = JobStore(engine)
    blocker = store.create("genres", {}, "prepared")
    assert store.claim("elsewhere", 1) == [blocker]
    runner = JobRunner(settings.model_copy(update={"max_queued_jobs": 2}), store)
    for _ in range(2):
        runner.submit("genres", {}, None)
    with pytest.raises(QueueFull, match="MODELWORKS_MAX_QUEUED_JOBS"):
        runner.submit("genres", {}, None)
    engine.dispose()


def test_history_needs_its_own_scope_and_the_database_file_is_owner_only(
        tmp_path: Path, minilm_assets: MiniLMAssets, resumes_registry: Path) -> None:
    copy_registry(resumes_registry, tmp_path)
    settings = make_settings(tmp_path, minilm_assets, services=["resumes"],
                             auth=AuthMode.REQUIRED)
    with TestClient(create_app(settings)) as client:
        keys = KeyStore(client.app.state.engine)  # type: ignore[attr-defined]
        predict_only = {"X-API-Key": keys.create([Scope.PREDICT])[1]}
        reader = {"X-API-Key": keys.create([Scope.HISTORY])[1]}
        assert client.post("/api/inference", json={"text": "Java developer, Spring"},
                           headers=predict_only).status_code == 200
        refused = client.get("/api/predictions", headers=predict_only)
        assert refused.status_code == 403
        assert "history" in refused.json()["error"]
        assert client.get("/api/predictions", headers=reader).json()["total"] == 1
    database = settings.home / "modelworks.db"
    for path in (database, *database.parent.glob("modelworks.db-*")):
        assert path.stat().st_mode & 0o777 == 0o600, path

