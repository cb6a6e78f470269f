"""The interests contract through the real app: ranking, filtering, errors, adding users."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.sdk.access import Scope
from modelworks.server.app import create_app
from modelworks.server.auth import KeyStore
from modelworks.server.db import make_engine
from tests.conftest import SEED_USERS_FILE, copy_registry, make_settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             interests_registry: Path) -> Settings:
    home = tmp_path_factory.mktemp("interests-home")
    copy_registry(interests_registry, home)
    return make_settings(home, minilm_assets, auth=AuthMode.REQUIRED, services=["interests"])


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["X-API-Key"] = settings.admin_key_file.read_text().strip()
        yield test_client


@pytest.fixture(scope="module")
def title_ids(interests_dir: Path) -> list[int]:
    with (interests_dir / "titles.csv").open(encoding="utf-8") as handle:
        return [int(row["id"]) for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def first_user() -> dict[str, str]:
    with SEED_USERS_FILE.open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def test_top_15_for_a_known_user(client: TestClient, first_user: dict[str, str]) -> None:
    response = client.get(f"/interests/{first_user['id']}", params={"top_k": 15})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["user_handle"], body["name"], body["type"]) == (
        first_user["id"], first_user["name"], first_user["type"])
    interests = body["interests"]
    assert len(interests) == 15
    assert all(set(item) == {"id", "label", "probability"} for item in interests)
    probabilities = [item["probability"] for item in interests]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert len({item["id"] for item in interests}) == 15
    assert response.headers["X-Model-Version"] == "interests:1"


def test_default_top_k_is_15_and_min_probability_filters(client: TestClient,
                                                          first_user: dict[str, str]) -> None:
    everything = client.get(f"/interests/{first_user['id']}", params={"top_k": 100}).json()
    by_default = client.get(f"/interests/{first_user['id']}").json()["interests"]
    assert by_default == everything["interests"][:15]
    for threshold in (0.5, 0.2):
        kept = client.get(f"/interests/{first_user['id']}",
                          params={"top_k": 100, "min_probability": threshold}).json()
        assert all(item["probability"] >= threshold for item in kept["interests"])
        expected = [i for i in everything["interests"] if i["probability"] >= threshold]
        assert kept["interests"] == expected
    assert client.get(f"/interests/{first_user['id']}",
                      params={"min_probability": 1.0}).json()["interests"] == [
        i for i in everything["interests"][:15] if i["probability"] >= 1.0]


@pytest.mark.parametrize(("path", "params", "status", "named"), [
    ("/interests/not-a-uuid", {}, 400, "user_handle"),
    (f"/interests/{uuid.UUID(int=1)}", {}, 404, "user_handle"),
    ("/interests/{first}", {"top_k": 0}, 400, "top_k"),
    ("/interests/{first}", {"top_k": 101}, 400, "top_k"),
    ("/interests/{first}", {"top_k": "ten"}, 400, "top_k"),
    ("/interests/{first}", {"min_probability": -0.1}, 400, "min_probability"),
    ("/interests/{first}", {"min_probability": 1.5}, 400, "min_probability"),
    ("/interests/{first}", {"min_probability": "nan"}, 400, "min_probability"),
])
def test_bad_requests_name_the_parameter(client: TestClient, first_user: dict[str, str],
                                         path: str, params: dict[str, object], status: int,
                                         named: str) -> None:
    response = client.get(path.format(first=first_user["id"]), params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert named in body["error"]
    assert body["field"] == named


def test_added_users_are_predicted_without_retraining_and_can_be_updated(
        client: TestClient, first_user: dict[str, str], title_ids: list[int]) -> None:
    known = client.get(f"/interests/{first_user['id']}", params={"top_k": 5}).json()
    handle = str(uuid.uuid4())
    titles = title_ids[10:22]
    added = client.post("/interests/users", json={"users": [
        {"user_handle": handle, "name": "Newcomer", "type": "B2C", "consumed": titles}]})
    assert added.status_code == 200, added.text
    assert added.json() == {"added": 1, "updated": 0, "users": [handle]}
    first = client.get(f"/interests/{handle}", params={"top_k": 15}).json()
    assert first["name"] == "Newcomer"
    assert first["type"] == "B2C"
    assert len(first["interests"]) == 15

    updated = client.post("/interests/users", json={"users": [
        {"user_handle": handle, "name": "Newcomer", "type": "B2B", "consumed": titles[:2]},
        {"user_handle": first_user["id"], "name": first_user["name"], "type": first_user["type"],
         "consumed": titles[6:]}]})
    assert updated.json()["added"] == 0
    assert updated.json()["updated"] == 2
    second = client.get(f"/interests/{handle}", params={"top_k": 15}).json()
    assert second["type"] == "B2B"
    assert second["interests"] != first["interests"]
    now_known = client.get(f"/interests/{first_user['id']}", params={"top_k": 5}).json()
    assert now_known["interests"] != known["interests"]  # their new activity counts


@pytest.mark.parametrize(("user", "named"), [
    ({"name": "x", "type": "B2B", "consumed": [1]}, "users.0.user_handle"),
    ({"user_handle": "nope", "name": "x", "type": "B2B"}, "users.0.user_handle"),
    ({"user_handle": str(uuid.UUID(int=5)), "name": "x", "type": "B2Z"}, "users.0.type"),
    ({"user_handle": str(uuid.UUID(int=5)), "name": "", "type": "B2B"}, "users.0.name"),
    ({"user_handle": str(uuid.UUID(int=5)), "name": "x", "type": "B2B", "consumed": [10**9]},
     "users.0.consumed"),
])
def test_bad_users_get_400_naming_the_field(client: TestClient, user: dict[str, object],
                                            named: str) -> None:
    response = client.post("/interests/users", json={"users": [user]})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == named
    assert client.get(f"/interests/{uuid.UUID(int=5)}").status_code == 404  # nothing stored


def test_a_handle_twice_in_one_request_is_refused(client: TestClient) -> None:
    user = {"user_handle": str(uuid.UUID(int=9)), "name": "x", "type": "B2B"}
    response = client.post("/interests/users", json={"users": [user, user]})
    assert response.status_code == 400
    assert "appears twice" in response.json()["error"]


def test_adding_users_needs_the_train_scope(client: TestClient, settings: Settings,
                                            first_user: dict[str, str]) -> None:
    _, predict_only = KeyStore(make_engine(settings.resolved_database_url)).create(
        [Scope.PREDICT], "reader")
    headers = {"X-API-Key": predict_only}
    body = {"users": [{"user_handle": str(uuid.uuid4()), "name": "x", "type": "B2B"}]}
    assert client.post("/interests/users", json=body, headers=headers).status_code == 403
    assert client.get(f"/interests/{first_user['id']}", headers=headers).status_code == 200
    assert client.get(f"/interests/{first_user['id']}",
                      headers={"X-API-Key": "mw_nope_nope"}).status_code == 401


def test_added_users_survive_a_restart(settings: Settings, title_ids: list[int]) -> None:
    handle = str(uuid.uuid4())
    titles = title_ids[40:45]
    with TestClient(create_app(settings)) as first:
        first.headers["X-API-Key"] = settings.admin_key_file.read_text().strip()
        assert first.post("/interests/users", json={"users": [
            {"user_handle": handle, "name": "Stays", "type": "B2B", "consumed": titles}]}
        ).status_code == 200
        before = first.get(f"/interests/{handle}").json()
    with TestClient(create_app(settings)) as second:
        second.headers["X-API-Key"] = settings.admin_key_file.read_text().strip()
        after = second.get(f"/interests/{handle}")
    assert after.status_code == 200
    assert after.json() == before
