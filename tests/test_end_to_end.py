"""The real server under uvicorn, driven like the README's curl walkthrough."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import PEER_SAMPLES, free_port, make_settings


@pytest.fixture
def server(tmp_path: Path, minilm_assets: MiniLMAssets) -> Iterator[str]:
    settings = make_settings(tmp_path / "home", minilm_assets)
    port = free_port()
    env = {**os.environ, "MODELWORKS_HOME": str(settings.home)}
    log_path = tmp_path / "server.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "modelworks", "serve", "--port", str(port), "--services",
         "genres", "--auth", "off"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log_file.close()
        output = log_path.read_text()
        # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done.
        assert process.returncode in (0, -15), output[-600:]
        assert "Application shutdown complete" in output
        assert "AUTH IS OFF" in output


def test_curl_flow_on_a_real_server(server: str, small_training_csv: bytes) -> None:
    trained = httpx.post(f"{server}/genres/train", timeout=300, files={
        "file": ("train.csv", small_training_csv, "text/csv")})
    assert trained.status_code == 200, trained.text
    assert trained.json()["version"] == 1
    predicted = httpx.post(f"{server}/genres/predict", timeout=60, files={
        "file": ("test.csv", (PEER_SAMPLES / "sample_test.csv").read_bytes(), "text/csv")})
    assert predicted.status_code == 200
    assert predicted.headers["x-model-version"] == "genres:1"
    body = predicted.json()
    assert len(body) == 10
    assert all(len(set(r.values())) == 5 for r in body.values())
    assert httpx.get(f"{server}/readyz").json()["status"] == "ready"
