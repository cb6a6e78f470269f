"""A real server of every service for the dashboard, and keys of each kind to log in with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelworks.client import Client
from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import (
    ALL_SERVICES,
    RunningApi,
    home_with_registries,
    make_settings,
    served,
)


@dataclass(frozen=True)
class Console:
    """The server the dashboard talks to, with an admin key and a predict-only key."""

    api: RunningApi
    admin_key: str
    predict_key: str

    @property
    def url(self) -> str:
        return self.api.url

    def client(self) -> Client:
        return Client(self.url, api_key=self.admin_key)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
            genres_registry: Path, interests_registry: Path, movies_registry: Path,
            resumes_registry: Path, similarity_registry: Path) -> Iterator[Console]:
    """Every service served with auth required; the dashboard's tests train and promote here."""
    home = tmp_path_factory.mktemp("console-home")
    make_settings(home, minilm_assets)  # links the session's encoder assets
    home_with_registries(home, genres_registry, interests_registry, movies_registry,
                         resumes_registry, similarity_registry)
    # A test presents a wrong key on purpose; the failure limit must not lock the others out.
    with served(home, ",".join(ALL_SERVICES),
                extra_env={"MODELWORKS_AUTH_MAX_FAILURES": "1000"}) as url:
        api = RunningApi(url, home)
        admin = (home / "admin.key").read_text().strip()
        with Client(url, api_key=admin) as client:
            predict = client.create_key(["predict"], name="predict only").key
        yield Console(api, admin, predict)


@pytest.fixture
def logged_in(console: Console, monkeypatch: pytest.MonkeyPatch) -> Console:
    """The dashboard (run in this process by AppTest) logs in with the admin key."""
    monkeypatch.setenv("MODELWORKS_API_URL", console.url)
    monkeypatch.setenv("MODELWORKS_API_KEY", console.admin_key)
    # A home without keys: the dashboard must not find one there.
    monkeypatch.setenv("MODELWORKS_HOME", str(console.api.home / "elsewhere"))
    return console
