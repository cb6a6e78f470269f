"""The OpenAPI document of a server with every service: each prediction operation has its
request and response schemas, an example, a security requirement and its 4xx answers; and the
prediction path logs every service's predictions, similarity's included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.server.app import create_app
from modelworks.server.db import Prediction
from tests.conftest import copy_registry, home_with_registries, make_settings

PREDICTIONS = [("post", "/genres/predict"), ("post", "/api/recommend"),
               ("get", "/interests/{user_handle}"), ("post", "/api/inference"),
               ("post", "/predict")]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, genres_registry: Path,
         interests_registry: Path, movies_registry: Path, resumes_registry: Path,
         similarity_registry: Path) -> Path:
    return home_with_registries(tmp_path_factory.mktemp("openapi"), genres_registry,
                                interests_registry, movies_registry, resumes_registry,
                                similarity_registry)


@pytest.fixture(scope="module", params=[AuthMode.REQUIRED, AuthMode.CONTRACT])
def served(request: pytest.FixtureRequest, home: Path, minilm_assets: MiniLMAssets
           ) -> Iterator[tuple[AuthMode, TestClient]]:
    settings = make_settings(home / request.param.value, minilm_assets, auth=request.param)
    copy_registry(home / "registry", settings.home)
    with TestClient(create_app(settings)) as client:
        yield request.param, client


def has_example(operation: dict[str, Any]) -> bool:
    body = operation.get("requestBody", {}).get("content", {})
    if any(media.get("examples") for media in body.values()):
        return True
    return any("example" in parameter for parameter in operation.get("parameters", []))


def test_every_prediction_operation_is_documented_whole(
        served: tuple[AuthMode, TestClient]) -> None:
    mode, client = served
    document = client.get("/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"apiKey", "bearer"}
    for method, path in PREDICTIONS:
        operation = document["paths"][path][method]
        where = f"{method.upper()} {path}"
        request_schema = (operation.get("requestBody", {}).get("content") or
                          {p["name"]: p for p in operation.get("parameters", [])})
        assert request_schema, where
        success = operation["responses"]["200"]["content"]["application/json"]
        assert success["schema"], where
        assert has_example(operation), where
        assert operation["security"], where
        assert {"400", "401", "403", "409"} <= set(operation["responses"]), where
        open_in_contract = path != "/api/recommend"
        assert ({} in operation["security"]) == (mode is AuthMode.CONTRACT
                                                 and open_in_contract), where
    admin = document["paths"]["/models/{service}/live"]["put"]
    assert admin["security"] == [{"apiKey": []}, {"bearer": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_similarity_predictions_are_in_the_log(served: tuple[AuthMode, TestClient]) -> None:
    _, client = served
    admin = Path(client.app.state.settings.admin_key_file).read_text().strip()  # type: ignore[attr-defined]
    answer = client.post("/predict", headers={"X-API-Key": admin}, json={
        "queries": ["a saw", "a bear"], "product_descriptions": ["saw", "bear", "hat"]})
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    rows: list[Prediction] = []
    while time.monotonic() < deadline and len(rows) < 2:
        with Session(engine) as session:  # the log writes within its flush interval
            rows = list(session.scalars(select(Prediction).where(
                Prediction.request_id == request_id)))
        time.sleep(0.05)
    assert [row.service for row in rows] == ["similarity", "similarity"]
    assert '"query":"a saw"' in rows[0].input
