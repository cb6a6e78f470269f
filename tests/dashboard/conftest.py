"""A real API server (resumes, movies and genres, auth on) for the dashboard to talk to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.training import train_and_register
from modelworks.services.genres import GenresService
from tests.conftest import copy_registry, make_settings


@dataclass(frozen=True)
class RunningApi:
    """Where the API listens and the home whose admin key the dashboard uses."""

    url: str
    home: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": (self.home / "admin.key").read_text().strip()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@pytest.fixture(scope="session")
def running_api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
                resumes_registry: Path, movies_registry: Path,
                small_training_csv: bytes) -> Iterator[RunningApi]:
    home = tmp_path_factory.mktemp("dashboard-home")
    settings = make_settings(home, minilm_assets)  # links the session's encoder assets
    copy_registry(resumes_registry, home)
    copy_registry(movies_registry, home)
    genres = GenresService()
    genres.configure(settings)
    trained = train_and_register(genres, Registry(settings.registry_dir),
                                 genres.read_training_data(small_training_csv), no_progress)
    assert trained.promoted, trained.reason
    port = free_port()
    env = {**os.environ, "MODELWORKS_HOME": str(home), "MODELWORKS_LOG_LEVEL": "WARNING",
           "MODELWORKS_LIVE_POLL_SECONDS": "0.2"}
    server = subprocess.Popen(
        [sys.executable, "-m", "modelworks", "serve", "--port", str(port),
         "--services", "resumes,movies,genres", "--auth", "required"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/readyz", server)
        yield RunningApi(url, home)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def dashboard_env(running_api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> RunningApi:
    """The dashboard's settings point at the running API and its home."""
    monkeypatch.setenv("MODELWORKS_HOME", str(running_api.home))
    monkeypatch.setenv("MODELWORKS_API_URL", running_api.url)
    return running_api
