"""The movies contract through the real app: tokens, recommendations, feedback, the gate."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.settings import AuthMode, Settings
from modelworks.core.training import train_and_register
from modelworks.server.app import create_app
from modelworks.server.db import Feedback
from modelworks.server.tokens import TokenIssuer
from modelworks.services.movies import MoviesService
from modelworks.services.movies.data import OCCUPATIONS, read_movielens
from tests.conftest import copy_registry, make_settings
from tests.services.movies.test_data import write_grouplens


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             movies_registry: Path) -> Settings:
    home = tmp_path_factory.mktemp("movies-home")
    copy_registry(movies_registry, home)
    # Its tests send wrong keys and tokens on purpose; the failure limit has its own tests
    # (the last one here, and tests/reliability/test_credentials.py).
    return make_settings(home, minilm_assets, auth=AuthMode.REQUIRED, services=["movies"],
                         auth_max_failures=100)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin_key(client: TestClient, settings: Settings) -> str:
    return settings.admin_key_file.read_text().strip()


@pytest.fixture(scope="module")
def token(client: TestClient, admin_key: str) -> str:
    response = client.post("/api/authenticate", json={"key": admin_key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["scopes"] == ["admin"]
    return str(body["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PROFILE = {"age": 25, "gender": "F", "occupation": "student"}


def test_authenticate_refuses_a_wrong_or_missing_key(client: TestClient, admin_key: str
                                                     ) -> None:
    wrong = client.post("/api/authenticate", json={"key": admin_key[:-2] + "zz"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "wrong key: the API key is not valid"
    missing = client.post("/api/authenticate", json={})
    assert missing.status_code == 401
    assert "key" in missing.json()["error"]
    assert client.post("/api/authenticate", content=b"[1]").status_code == 400


def test_recommend_with_a_token(client: TestClient, token: str, movielens_dir: Path) -> None:
    response = client.post("/api/recommend", json=PROFILE, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["x-model-version"] == "movies:1"
    assert uuid.UUID(response.headers["x-recommendation-id"])
    titles = response.json()
    assert isinstance(titles, list)
    assert len(titles) == len(set(titles)) == 10
    assert set(titles) <= set(read_movielens(movielens_dir)[0].titles)


def test_detail_scores_max_recs_and_demographics(client: TestClient, token: str) -> None:
    detailed = client.post("/api/recommend?detail=true",
                           json={**PROFILE, "max_recs": 3}, headers=bearer(token))
    scored = detailed.json()
    assert set(scored) == {"recommendations", "id", "scores"}
    assert scored["id"] == detailed.headers["x-recommendation-id"]
    assert len(scored["recommendations"]) == 3
    assert list(scored["scores"]) == scored["recommendations"]
    values = list(scored["scores"].values())
    assert values == sorted(values, reverse=True)
    assert all(0 < v < 1 for v in values)
    earlier_clients = client.post("/api/recommend?include_scores=true",
                                  json={**PROFILE, "max_recs": 3}, headers=bearer(token)).json()
    assert earlier_clients["scores"] == scored["scores"]
    assert client.post("/api/recommend?detail=maybe", json=PROFILE,
                       headers=bearer(token)).json()["field"] == "detail"
    retired = client.post("/api/recommend", json={"age": 60, "gender": "M",
                                                  "occupation": "retired"},
                          headers=bearer(token)).json()
    student = client.post("/api/recommend", json=PROFILE, headers=bearer(token)).json()
    assert retired != student
    other = client.post("/api/recommend", json={**PROFILE, "gender": "O"}, headers=bearer(token))
    assert other.status_code == 200
    assert len(other.json()) == 10


def test_the_api_key_header_is_accepted_too(client: TestClient, admin_key: str) -> None:
    assert client.post("/api/recommend", json=PROFILE,
                       headers={"X-API-Key": admin_key}).status_code == 200


def test_missing_bad_forged_and_expired_tokens_get_401(client: TestClient, settings: Settings,
                                                       token: str, admin_key: str) -> None:
    assert client.post("/api/recommend", json=PROFILE).status_code == 401
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.post("/api/recommend", json=PROFILE, headers=bearer(tampered)).status_code == 401
    forged = TokenIssuer("x" * 40, 3600).issue(_principal())
    response = client.post("/api/recommend", json=PROFILE, headers=bearer(forged))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated session: the token is not valid"
    short_lived = TokenIssuer(settings.token_secret_file.read_text().strip(), 1)
    expiring = short_lived.issue(_principal(admin_key.split("_")[1]))  # a real key's token
    assert client.post("/api/recommend", json=PROFILE, headers=bearer(expiring)).status_code == 200
    time.sleep(2.1)
    expired = client.post("/api/recommend", json=PROFILE, headers=bearer(expiring))
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]


def _principal(key_id: str = "someone") -> Any:
    from modelworks.sdk.access import Principal, Scope

    return Principal(key_id, "test", frozenset({Scope.PREDICT}))


def test_tokens_carry_the_keys_scopes(client: TestClient, admin_key: str) -> None:
    from modelworks.server.auth import KeyStore, Scope

    _, predict_only = KeyStore(client.app.state.engine).create([Scope.PREDICT])  # type: ignore[attr-defined]
    body = client.post("/api/authenticate", json={"key": predict_only}).json()
    assert body["scopes"] == ["predict"]
    assert client.post("/api/recommend", json=PROFILE,
                       headers=bearer(body["token"])).status_code == 200
    assert client.get("/models", headers=bearer(body["token"])).status_code == 403


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"age": 25, "occupation": "student"}, "gender is required: one of M, F, O"),
        ({**PROFILE, "gender": "X"}, "gender: Input should be 'M', 'F' or 'O'"),
        ({"age": 25, "gender": "F"}, "occupation is required: one of administrator"),
        ({**PROFILE, "occupation": "pilot"}, "expected one of " + ", ".join(OCCUPATIONS)),
        ({**PROFILE, "age": 25.5}, "age: Input should be a valid integer"),
        ({**PROFILE, "age": "25"}, "expected an integer from 1 to 120"),
        ({**PROFILE, "age": 0}, "age: Input should be greater than or equal to 1"),
        ({**PROFILE, "age": 500}, "age: Input should be less than or equal to 120"),
        ({"gender": "F", "occupation": "student"}, "age is required"),
        ({**PROFILE, "favourite": "Alien"}, "unknown field 'favourite'; allowed fields: age"),
        ({**PROFILE, "max_recs": 0}, "max_recs: Input should be greater than or equal to 1"),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_invalid_requests_name_the_field_and_allowed_values(
        client: TestClient, token: str, body: object, named: str) -> None:
    response = client.post("/api/recommend", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_feedback_is_recorded_against_its_recommendation(client: TestClient, token: str
                                                         ) -> None:
    served = client.post("/api/recommend", json=PROFILE, headers=bearer(token))
    recommendation_id = served.headers["x-recommendation-id"]
    # Sent at once: the recommendation may still wait in the prediction log's queue.
    movie = served.json()[0]
    response = client.post("/api/recommend/feedback", headers=bearer(token),
                           json={"id": recommendation_id, "movie": movie, "score": 5})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "recorded"
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        rows = session.execute(select(Feedback).where(
            Feedback.request_id == recommendation_id)).scalars().all()
    assert [(r.item, r.score, r.service) for r in rows] == [(movie, 5, "movies")]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"id": str(uuid.uuid4())}, "unknown recommendation id"),
        ({"id": "not-a-uuid"}, "id: Input should be a valid UUID"),
        ({"score": 6}, "score: Input should be less than or equal to 5"),
        ({"score": 0}, "score: Input should be greater than or equal to 1"),
        ({"movie": "No Such Movie (2031)"}, "unknown movie"),
    ],
)
def test_bad_feedback_gets_400(client: TestClient, token: str, change: dict[str, object],
                               named: str) -> None:
    served = client.post("/api/recommend", json=PROFILE, headers=bearer(token))
    body = {"id": served.headers["x-recommendation-id"], "movie": served.json()[0], "score": 4,
            **change}
    response = client.post("/api/recommend/feedback", json=body, headers=bearer(token))
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_repeated_failures_are_refused_with_429(tmp_path: Path, minilm_assets: MiniLMAssets
                                                ) -> None:
    settings = make_settings(tmp_path, minilm_assets, auth=AuthMode.REQUIRED,
                             services=["movies"], auth_max_failures=3)
    with TestClient(create_app(settings)) as fresh:
        admin = settings.admin_key_file.read_text().strip()
        codes = [fresh.post("/api/authenticate", json={"key": "mw_bad_guess"}).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 401]
        refused = fresh.post("/api/authenticate", json={"key": admin})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "too many failed" in refused.json()["error"]


def test_the_gate_refuses_a_worse_model(movies_registry: Path, movielens_dir: Path,
                                        tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry")
    copy_registry(movies_registry, tmp_path)
    assert registry.live_version("movies") == 1
    service = MoviesService()
    few_users = write_grouplens(read_movielens(movielens_dir)[0], tmp_path / "small", users=40)
    result = train_and_register(service, registry, service.read_training_data(few_users),
                                no_progress)
    assert result.version == 2
    assert not result.promoted
    assert "below the live model's" in result.reason
    assert registry.live_version("movies") == 1
    assert registry.manifest("movies", 2).notes["gate"]["passed"] is False
