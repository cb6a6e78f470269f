"""Background training jobs: a real job process, cancellation, and jobs whose process died."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import Settings
from modelworks.server.app import create_app
from modelworks.server.db import make_engine, migrate, utcnow
from modelworks.server.jobs.runner import job_environment
from modelworks.server.jobs.store import ABANDONED_AFTER, JobStore
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets) -> Settings:
    return make_settings(tmp_path / "home", minilm_assets, services=["resumes"],
                         live_poll_seconds=0.2)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def wait_for_end(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        seen.append((job["state"], job["progress"]))
        if job["state"] in ("succeeded", "failed", "cancelled"):
            job["seen"] = seen
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end: {seen[-5:]}")


def test_an_uploaded_job_trains_registers_and_goes_live(client: TestClient,
                                                        small_resumes_csv: bytes) -> None:
    started = client.post("/models/resumes/train", data={"model": "naive-bayes", "name": "nb"},
                          files={"file": ("resumes.csv", small_resumes_csv, "text/csv")})
    assert started.status_code == 202, started.text
    job = wait_for_end(client, started.json()["job_id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"] == 100.0
    assert job["data"].endswith("data")
    result = job["result"]
    assert (result["version"], result["model"], result["name"]) == (1, "naive-bayes", "nb")
    assert result["promoted"], result["reason"]
    assert 0.5 < result["metrics"]["weighted_f1"] <= 1.0
    matrix = result["details"]["confusion_matrix"]
    assert sum(map(sum, matrix)) == result["metrics"]["rows"]
    deadline = time.monotonic() + 10  # the server's poller loads the promoted version
    while client.get("/models/resumes").json()["loaded"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    status = client.get("/models/resumes").json()
    assert status["versions"][0]["name"] == "nb"
    assert status["versions"][0]["params"]["kind"] == "naive-bayes"
    assert client.post("/api/inference", json={"text": "Oracle DBA, RMAN"}).status_code == 200


def test_evaluate_only_jobs_register_nothing(client: TestClient, settings: Settings) -> None:
    started = client.post("/models/resumes/train",
                          data={"model": "naive-bayes", "register": "false"})
    job = wait_for_end(client, started.json()["job_id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["data"] == "prepared"
    assert job["result"]["version"] is None
    assert not (settings.registry_dir / "resumes").exists()


def test_bad_requests_are_refused_before_a_job_exists(client: TestClient) -> None:
    unknown_model = client.post("/models/resumes/train", data={"model": "xgboost"})
    assert unknown_model.status_code == 400
    assert unknown_model.json()["field"] == "model"
    assert "tfidf-logistic" in unknown_model.json()["error"]
    bad_csv = client.post("/models/resumes/train",
                          files={"file": ("r.csv", b"resume,label\nhello,99\n", "text/csv")})
    assert bad_csv.status_code == 400
    assert "outside 0-13" in bad_csv.json()["error"]
    assert client.post("/models/nothing/train").status_code == 404
    assert client.get("/jobs/not-a-job").status_code == 404
    assert client.get("/jobs").json()["jobs"] == []


def test_a_cancelled_job_stays_cancelled_and_registers_nothing(
        client: TestClient, settings: Settings) -> None:
    started = client.post("/models/resumes/train", data={"model": "tfidf-logistic"})
    job_id = started.json()["job_id"]
    cancelled = client.delete(f"/jobs/{job_id}").json()
    assert cancelled["state"] == "cancelled"
    time.sleep(3)  # long enough for the process to start, see it and leave
    assert client.get(f"/jobs/{job_id}").json()["state"] == "cancelled"
    assert not (settings.registry_dir / "resumes").exists()


def test_jobs_whose_process_died_are_failed_and_queued_ones_wait(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    store = JobStore(engine)
    running = store.create("resumes", {}, "prepared")
    queued = store.create("resumes", {}, "prepared")
    other = store.create("genres", {}, "prepared")
    assert store.claim("this-host", max_running=1) == [running]  # one at a time per machine
    assert store.fail_abandoned() == 0  # everyone is recent
    later = utcnow() + ABANDONED_AFTER + timedelta(seconds=1)
    assert store.fail_abandoned(now=later) == 1
    record = store.get(running)
    assert record.state == "failed"
    assert "stopped without finishing" in (record.error or "")
    assert not store.report(running, "late", 0.5)  # a zombie process cannot revive it
    assert [store.get(j).state for j in (queued, other)] == ["queued", "queued"]  # they wait
    assert store.claim("this-host", max_running=5) == [queued, other]
    engine.dispose()


def test_a_job_gets_settings_given_in_code_but_not_the_workers_shared_folders(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("MODELWORKS_RUN_DIR", str(tmp_path))
    env = job_environment(settings.model_copy(update={"gate_tolerance": 0.05}))
    assert env["MODELWORKS_GATE_TOLERANCE"] == "0.05"
    assert env["MODELWORKS_HOME"] == str(settings.home.resolve())
    assert "PROMETHEUS_MULTIPROC_DIR" not in env
    assert "MODELWORKS_RUN_DIR" not in env
