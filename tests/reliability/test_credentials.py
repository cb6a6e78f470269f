"""Credentials (issue 15, item 8): revoked keys end their tokens, every failed credential
counts, forwarded addresses are believed only from configured proxies, and the count is
shared by the workers of a server.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from modelworks.server.auth import KeyStore, Principal, Scope
from modelworks.server.db import AuthFailure, make_engine, migrate
from modelworks.server.limiter import FailureLimiter, TooManyFailures
from modelworks.server.tokens import TokenIssuer
from tests.conftest import copy_registry, make_settings, modelworks_process

PROFILE = {"age": 30, "gender": "M", "occupation": "writer"}


@pytest.fixture
def home(tmp_path: Path, minilm_assets: MiniLMAssets, movies_registry: Path) -> Path:
    copy_registry(movies_registry, tmp_path)
    make_settings(tmp_path, minilm_assets)  # links the encoder assets
    return tmp_path


@pytest.fixture
def settings(home: Path, minilm_assets: MiniLMAssets) -> Settings:
    return make_settings(home, minilm_assets, services=["movies"], auth=AuthMode.REQUIRED,
                         live_poll_seconds=0.1)


def eventually_status(call: object, status: int, seconds: float = 3.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = call()  # type: ignore[operator]
        if response.status_code == status or time.monotonic() > deadline:
            return response  # type: ignore[no-any-return]
        time.sleep(0.05)


def test_revoking_a_key_ends_its_tokens_within_a_second(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        keys = KeyStore(client.app.state.engine)  # type: ignore[attr-defined]
        principal, key = keys.create([Scope.PREDICT], "soon revoked")
        token = client.post("/api/authenticate", json={"key": key}).json()["token"]
        for header in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": key}):
            assert client.post("/api/recommend", json=PROFILE, headers=header).status_code == 200
        assert keys.revoke(principal.key_id)
        started = time.monotonic()
        for header in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": key}):
            refused = eventually_status(
                lambda h=header: client.post("/api/recommend", json=PROFILE, headers=h), 401)
            assert refused.status_code == 401
        assert time.monotonic() - started < 1.5
        assert "revoked" in client.post("/api/recommend", json=PROFILE, headers={
            "Authorization": f"Bearer {token}"}).json()["error"]


def test_wrong_credentials_on_any_route_count_towards_the_limit(home: Path,
                                                                minilm_assets: MiniLMAssets
                                                                ) -> None:
    settings = make_settings(home, minilm_assets, services=["movies"], auth=AuthMode.REQUIRED,
                             auth_max_failures=3)
    with TestClient(create_app(settings)) as client:
        wrong = [client.post("/api/recommend", json=PROFILE,
                             headers={"X-API-Key": f"mw_000000000000_guess{i}"}).status_code
                 for i in range(2)]
        junk_token = client.get("/models", headers={"Authorization": "Bearer a.b.c"})
        assert [*wrong, junk_token.status_code] == [401, 401, 401]
        admin = settings.admin_key_file.read_text().strip()
        blocked = client.get("/models", headers={"X-API-Key": admin})  # right, but too late
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
        assert client.post("/api/authenticate", json={"key": admin}).status_code == 429


@pytest.fixture
def served_movies(home: Path) -> object:
    def serve(**env: str) -> object:
        return modelworks_process(["serve", "--services", "movies", "--auth", "required"],
                                  home, "/readyz", {"MODELWORKS_AUTH_MAX_FAILURES": "4", **env})
    return serve


def guesses(url: str, pause: float, forwarded: bool) -> list[int]:
    """Statuses of wrong keys sent until the first 429 (at most 12), each on a new connection."""
    statuses = []
    for number in itertools.count():
        headers = {"X-API-Key": f"mw_000000000000_guess{number}"}
        if forwarded:
            headers["X-Forwarded-For"] = f"203.0.113.{number}"
        statuses.append(httpx.post(f"{url}/api/recommend", json=PROFILE,
                                   headers=headers).status_code)
        if statuses[-1] == 429 or number == 11:
            return statuses
        time.sleep(pause)


def test_a_forged_forwarded_address_gains_a_guesser_nothing(served_movies: object) -> None:
    with served_movies() as url:  # type: ignore[operator]
        assert guesses(url, 0.0, forwarded=True) == [401] * 4 + [429]


def test_forwarded_addresses_count_when_the_proxy_is_configured(served_movies: object) -> None:
    with served_movies(MODELWORKS_FORWARDED_ALLOW_IPS="127.0.0.1") as url:  # type: ignore[operator]
        assert guesses(url, 0.0, forwarded=True) == [401] * 12  # twelve different clients


def test_the_count_is_shared_through_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    migrate(engine)
    first, second = (FailureLimiter(4, 60, engine) for _ in range(2))  # two workers
    for _ in range(2):
        first.failed("198.51.100.7")
        second.failed("198.51.100.7")
    second.check("198.51.100.7")  # each has seen only two failures itself
    first.sync()
    second.sync()
    for limiter in (first, second):
        with pytest.raises(TooManyFailures):
            limiter.check("198.51.100.7")
        limiter.check("198.51.100.8")  # another client is not affected
    for _ in range(10):  # past the limit nothing more is written: no table to fill
        first.failed("198.51.100.7")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuthFailure)) == 4
    engine.dispose()


def test_a_token_that_expired_is_no_guess(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        admin = settings.admin_key_file.read_text().strip()
        expired = TokenIssuer(settings.token_secret_file.read_text().strip(), 1).issue(
            Principal(admin.split("_")[1], "admin", frozenset({Scope.ADMIN})))
        time.sleep(2.1)
        for _ in range(settings.auth_max_failures + 2):
            refused = client.post("/api/recommend", json=PROFILE,
                                  headers={"Authorization": f"Bearer {expired}"})
            assert refused.status_code == 401
        assert client.post("/api/authenticate", json={"key": admin}).status_code == 200
