"""What each auth mode opens, route by route, on a server with all five services.

Every route the app has is called without credentials: exactly the expected ones may answer
anything but 401. A route added later without a thought for auth fails here.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.server.app import create_app
from tests.conftest import copy_registry, home_with_registries, make_settings

# The pages and assets of the API documentation are not in the document they show.
UNDOCUMENTED = {("GET", "/predict"), ("GET", "/docs"), ("GET", "/redoc"),
                ("GET", "/docs/assets/{name}")}
ALWAYS_OPEN = {("GET", "/"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
               ("GET", "/health"), ("GET", "/openapi.json"), *UNDOCUMENTED}
# The routes the seed documents define without any key (movies' key -> token flow is not).
DOCUMENTED_OPEN = {("GET", "/interests/{user_handle}"), ("POST", "/genres/train"),
                   ("POST", "/genres/predict"), ("POST", "/api/inference"), ("POST", "/predict")}
OPEN = {AuthMode.REQUIRED: ALWAYS_OPEN, AuthMode.CONTRACT: ALWAYS_OPEN | DOCUMENTED_OPEN}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, genres_registry: Path,
         interests_registry: Path, movies_registry: Path, resumes_registry: Path,
         similarity_registry: Path) -> Path:
    return home_with_registries(tmp_path_factory.mktemp("auth-modes"), genres_registry,
                                interests_registry, movies_registry, resumes_registry,
                                similarity_registry)


@pytest.fixture(scope="module", params=[AuthMode.REQUIRED, AuthMode.CONTRACT])
def server(request: pytest.FixtureRequest, home: Path, minilm_assets: MiniLMAssets
           ) -> Iterator[tuple[AuthMode, TestClient]]:
    mode: AuthMode = request.param
    settings = make_settings(home / mode.value, minilm_assets, auth=mode)
    copy_registry(home / "registry", settings.home)
    with TestClient(create_app(settings)) as client:
        yield mode, client


def every_call(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every operation of the app.

    Read from its OpenAPI document, plus the routes left out of it on purpose.
    """
    paths = client.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items()
                  for method in operations}
    return sorted(documented | UNDOCUMENTED | {("GET", "/openapi.json")})


def test_only_the_expected_routes_answer_without_a_key(
        server: tuple[AuthMode, TestClient]) -> None:
    mode, client = server
    calls = every_call(client)
    assert ("POST", "/api/recommend") in calls
    assert len(calls) > 25
    answered = {}
    for method, template in calls:
        if template == "/api/authenticate":
            continue  # the token exchange: a missing key is its 401 by contract
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
        response = client.request(method, path, json={} if method != "GET" else None)
        answered[(method, template)] = response.status_code
    refused = {call for call, status in answered.items() if status == 401}
    assert refused == set(answered) - OPEN[mode], answered
    for call in OPEN[mode] & set(answered):
        assert answered[call] not in (401, 403), call
        assert answered[call] < 500, call


def test_a_key_opens_what_a_document_does_not(server: tuple[AuthMode, TestClient]) -> None:
    _, client = server
    admin = {"X-API-Key": (Path(client.app.state.settings.home) /  # type: ignore[attr-defined]
                           "admin.key").read_text().strip()}
    assert client.get("/models", headers=admin).status_code == 200
    assert client.post("/interests/users", json={}, headers=admin).status_code == 400
    assert client.post("/api/recommend", headers=admin, json={
        "age": 30, "gender": "F", "occupation": "writer"}).status_code == 200


def test_the_index_lists_every_service_its_routes_and_who_may_call_them(
        server: tuple[AuthMode, TestClient]) -> None:
    mode, client = server
    index = client.get("/").json()
    assert index["auth"] == mode.value
    assert set(index["services"]) == {"genres", "interests", "movies", "resumes", "similarity"}
    assert {"docs", "healthz", "metrics"} <= set(index["links"])
    for link in index["links"].values():
        assert client.get(link).status_code != 404, link
    who = {(route["method"], route["path"]): route["auth"]
           for routes in index["services"].values() for route in routes}
    assert who[("POST", "/api/recommend")] == "key with scope predict"
    assert who[("POST", "/interests/users")] == "key with scope train"
    for call in DOCUMENTED_OPEN:
        assert (who[call] == "anyone") == (mode is AuthMode.CONTRACT), call


def test_the_startup_log_says_what_contract_mode_opens(
        tmp_path: Path, minilm_assets: MiniLMAssets, genres_registry: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    copy_registry(genres_registry, tmp_path)
    settings = make_settings(tmp_path, minilm_assets, auth=AuthMode.CONTRACT,
                             services=["genres"])
    with caplog.at_level(logging.INFO, logger="modelworks.server.app"):
        create_app(settings)
    [line] = [r.getMessage() for r in caplog.records if "AUTH CONTRACT" in r.getMessage()]
    assert "POST /genres/train" in line
    assert "POST /genres/predict" in line
    assert "needs a scoped key" in line


def test_one_service_without_a_root_of_its_own_gets_the_index(
        tmp_path: Path, minilm_assets: MiniLMAssets, genres_registry: Path) -> None:
    copy_registry(genres_registry, tmp_path)
    settings = make_settings(tmp_path, minilm_assets, services=["genres"])
    with TestClient(create_app(settings)) as client:
        index = client.get("/").json()
    assert list(index["services"]) == ["genres"]
    assert sorted(r["path"] for r in index["services"]["genres"]) == ["/genres/predict",
                                                                    "/genres/train"]
