"""The HTTP contract through the real app (in-process ASGI), with auth on and off."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.sdk.access import Scope
from modelworks.server.app import create_app
from modelworks.server.auth import KeyStore
from modelworks.server.db import Prediction
from tests.conftest import PEER_SAMPLES, make_settings, movies_csv


def upload(raw: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("movies.csv", raw, "text/csv")}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets
           ) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("home"), minilm_assets,
                             max_upload_bytes=200_000, services=["genres"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def trained(client: TestClient, small_training_csv: bytes) -> dict[str, object]:
    response = client.post("/genres/train", files=upload(small_training_csv))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_predict_before_training_says_how_to_train(tmp_path: Path, minilm_assets: MiniLMAssets
                                                   ) -> None:
    with TestClient(create_app(make_settings(tmp_path, minilm_assets))) as fresh:
        response = fresh.post("/genres/predict",
                              files=upload((PEER_SAMPLES / "sample_test.csv").read_bytes()))
        assert response.status_code == 409
        assert "train" in response.json()["error"]
        assert fresh.get("/readyz").status_code == 503


def test_train_answers_version_metrics_rows_duration(client: TestClient,
                                                     trained: dict[str, object]) -> None:
    assert trained["version"] == 1
    assert trained["rows"] == 500
    assert trained["promoted"] is True
    metrics = trained["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["map@5"] > metrics["prior_map@5"]
    assert float(str(trained["duration_seconds"])) > 0
    assert client.get("/readyz").json() == {"status": "ready", "services": {"genres": 1},
                                            "database": "ok", "spooled": 0}


def test_predict_answers_the_contract_shape(client: TestClient, trained: object) -> None:
    raw = (PEER_SAMPLES / "sample_test.csv").read_bytes()
    response = client.post("/genres/predict", files=upload(raw))
    assert response.status_code == 200
    assert response.headers["x-model-version"] == "genres:1"
    assert uuid.UUID(response.headers["x-request-id"]).version == 7  # time-ordered
    body = response.json()
    assert list(body) == [str(i) for i in range(10)]
    for ranking in body.values():
        assert list(ranking) == ["0", "1", "2", "3", "4"]
        assert len(set(ranking.values())) == 5


def test_include_scores_adds_probabilities_in_rank_order(client: TestClient, trained: object,
                                                         small_test_rows: list[dict[str, str]]
                                                         ) -> None:
    raw = movies_csv(small_test_rows[:3], with_genres=False)
    body = client.post("/genres/predict?include_scores=true", files=upload(raw)).json()
    for ranking in body.values():
        scores = ranking["scores"]
        assert list(scores) == [ranking[str(i)] for i in range(5)]
        assert list(scores.values()) == sorted(scores.values(), reverse=True)
        assert all(0 <= p <= 1 for p in scores.values())


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"", 400, "empty"),
        (b"\xff\xfe\x00\x01", 400, "not UTF-8"),
        (b"movie_id,plot\n1,x\n", 400, "missing column: synopsis"),
        (b"movie_id,synopsis\n1,a\n1,b\n", 400, "duplicate movie_id"),
        (b"movie_id,synopsis\n1,a\n2,\n", 400, "empty synopsis on row 2"),
        (b"movie_id,synopsis\n" + b"1,x\n" * 100_000, 413, "limit of 200000 bytes"),
    ],
)
def test_bad_uploads_get_a_named_4xx(client: TestClient, trained: object, raw: bytes,
                                     status: int, message: str) -> None:
    response = client.post("/genres/predict", files=upload(raw))
    assert response.status_code == status
    assert message in response.json()["error"]


def test_bad_training_upload_and_missing_field_are_400(client: TestClient) -> None:
    response = client.post("/genres/train", files=upload(b"movie_id,synopsis\n1,a\n"))
    assert response.status_code == 400
    assert "genres" in response.json()["error"]
    response = client.post("/genres/train", data={"other": "x"})
    assert response.status_code == 400
    assert "file" in response.json()["error"]


def test_every_prediction_lands_in_the_log(client: TestClient, trained: object) -> None:
    raw = (PEER_SAMPLES / "sample_test.csv").read_bytes()
    response = client.post("/genres/predict", files=upload(raw))
    request_id = response.headers["x-request-id"]
    engine = client.app.state.engine  # type: ignore[attr-defined]
    for _ in range(100):
        with engine.connect() as connection:
            count = connection.scalar(select(func.count()).select_from(Prediction)
                                      .where(Prediction.request_id == request_id))
        if count == 10:
            break
        time.sleep(0.05)
    assert count == 10


def test_metrics_count_requests_and_model_version(client: TestClient, trained: object) -> None:
    client.post("/genres/predict", files=upload((PEER_SAMPLES / "sample_test.csv").read_bytes()))
    text = client.get("/metrics").text
    assert 'modelworks_http_requests_total{method="POST",route="/genres/predict",status="200"}' \
        in text
    assert 'modelworks_model_version{service="genres"} 1.0' in text
    assert 'modelworks_predictions_total{service="genres"}' in text


def test_auth_required_checks_keys_and_scopes(tmp_path: Path, minilm_assets: MiniLMAssets,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, minilm_assets, auth=AuthMode.REQUIRED)
    with TestClient(create_app(settings)) as secured:
        printed = capsys.readouterr().err
        admin = settings.admin_key_file.read_text().strip()
        assert admin in printed
        assert oct(settings.admin_key_file.stat().st_mode & 0o777) == "0o600"
        raw = upload((PEER_SAMPLES / "sample_test.csv").read_bytes())
        assert secured.post("/genres/predict", files=raw).status_code == 401
        assert secured.post("/genres/predict", files=raw,
                            headers={"X-API-Key": admin + "x"}).status_code == 401
        _, predict_only = KeyStore(secured.app.state.engine).create([Scope.PREDICT])  # type: ignore[attr-defined]
        assert secured.post("/genres/train", files=raw,
                            headers={"X-API-Key": predict_only}).status_code == 403
        assert secured.post("/genres/predict", files=raw, headers={
            "Authorization": f"Bearer {predict_only}"}).status_code == 409  # authorised
        assert secured.get("/healthz").status_code == 200
        assert secured.get("/metrics").status_code == 200
        assert secured.get("/models", headers={"X-API-Key": admin}).status_code == 200


def test_admin_routes_move_the_live_alias(client: TestClient, trained: object,
                                          small_training_csv: bytes) -> None:
    second = client.post("/genres/train", files=upload(small_training_csv)).json()
    assert second["version"] == 2
    assert client.get("/models/genres").json()["loaded"] == 2
    response = client.put("/models/genres/live", json={"version": 1})
    assert response.json()["loaded"] == 1
    assert client.put("/models/genres/live", json={"version": 99}).status_code == 404
    assert client.put("/models/genres/live", json={"version": "x"}).status_code == 400
    assert client.get("/models/nope").status_code == 404
