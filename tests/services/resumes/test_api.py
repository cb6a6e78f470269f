"""The resumes contract through the real app, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from modelworks.services.resumes.vocabulary import CATEGORIES
from tests.conftest import copy_registry, make_settings

JAVA = ("SUMMARY\nSenior Java Developer with 8 years building Spring Boot microservices, "
        "Hibernate, JPA, Maven, JUnit and REST APIs on Tomcat.")
DBA = ("SUMMARY\nOracle DBA with 10 years of RMAN backups, Data Guard, RAC, ASM, performance "
       "tuning with AWR and patching Oracle 19c databases.")


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets, resumes_registry: Path,
             database_url: str) -> Settings:
    home = tmp_path / "home"
    copy_registry(resumes_registry, home)
    return make_settings(home, minilm_assets, services=["resumes"], database_url=database_url,
                         max_text_chars=5000)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_label_for_existing_clients_and_detail_on_request(client: TestClient) -> None:
    plain = client.post("/api/inference", json={"text": JAVA})
    assert plain.status_code == 200, plain.text
    assert plain.json() == CATEGORIES.index("Java Developer")
    assert plain.headers["X-Model-Version"] == "resumes:1"

    detail = client.post("/api/inference", params={"detail": "true"}, json={"text": DBA})
    body = detail.json()
    assert body["label"] == CATEGORIES.index("Oracle DBA")
    assert body["category"] == "Oracle DBA"
    assert set(body["probabilities"]) == set(CATEGORIES)
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert body["probability"] == max(body["probabilities"].values())
    assert isinstance(body["prediction_id"], int)


def test_every_inference_is_stored_and_listed_newest_first(client: TestClient) -> None:
    for text in (JAVA, DBA, JAVA + " Also Kafka."):
        assert client.post("/api/inference", json={"text": text}).status_code == 200
    page = client.get("/api/predictions").json()
    assert page["total"] == 3
    newest, middle, oldest = page["items"]
    assert newest["prediction_id"] > middle["prediction_id"] > oldest["prediction_id"]
    assert oldest["text_sha256"] == hashlib.sha256(JAVA.encode()).hexdigest()
    assert oldest["text_preview"] == " ".join(JAVA.split())
    assert oldest["text_chars"] == len(JAVA)
    assert (oldest["label"], oldest["category"]) == (5, "Java Developer")
    assert oldest["model_version"] == 1
    assert 0 < oldest["probability"] <= 1
    assert oldest["latency_ms"] > 0
    assert newest["created_at"] >= oldest["created_at"]

    only = client.get("/api/predictions", params={"category": "Oracle DBA"}).json()
    assert only["total"] == 1
    assert only["items"][0]["category"] == "Oracle DBA"
    second = client.get("/api/predictions", params={"limit": 1, "offset": 1}).json()
    assert [row["prediction_id"] for row in second["items"]] == [middle["prediction_id"]]


def test_history_survives_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as first:
        stored = first.post("/api/inference", params={"detail": "1"}, json={"text": DBA}).json()
    with TestClient(create_app(settings)) as second:
        items = second.get("/api/predictions").json()["items"]
    assert [row["prediction_id"] for row in items] == [stored["prediction_id"]]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"text": ""}, 400, "text is empty"),
    ({"text": " \n\t "}, 400, "text is empty"),
    ({"text": 42}, 400, "text: Input should be a valid string"),
    ({"text": ["a", "b"]}, 400, "text: Input should be a valid string"),
    ({"resume": "Java"}, 400, "text is required"),
    ({"text": "x" * 5001}, 413, "text has 5001 characters; the limit is 5000"),
])
def test_bad_bodies_get_a_4xx_naming_the_problem(client: TestClient, body: object, status: int,
                                                 message: str) -> None:
    response = client.post("/api/inference", json=body)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert response.json()["field"] == "text"
    assert client.get("/api/predictions").json()["total"] == 0  # nothing half-stored


def test_bad_json_and_bad_query_values(client: TestClient) -> None:
    assert "not valid JSON" in client.post("/api/inference", content=b"{oops").json()["error"]
    bad_flag = client.post("/api/inference", params={"detail": "maybe"}, json={"text": JAVA})
    assert bad_flag.status_code == 400
    assert bad_flag.json()["field"] == "detail"
    for params, field in (({"limit": 0}, "limit"), ({"limit": "x"}, "limit"),
                          ({"offset": -1}, "offset"), ({"category": "Chef"}, "category")):
        response = client.get("/api/predictions", params=params)
        assert response.status_code == 400
        assert response.json()["field"] == field


def test_keys_are_required_when_auth_is_on(tmp_path: Path, minilm_assets: MiniLMAssets,
                                           resumes_registry: Path) -> None:
    home = tmp_path / "secure"
    copy_registry(resumes_registry, home)
    settings = make_settings(home, minilm_assets, services=["resumes"], auth=AuthMode.REQUIRED)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/inference", json={"text": JAVA}).status_code == 401
        assert client.get("/api/predictions").status_code == 401
        key = settings.admin_key_file.read_text().strip()
        answer = client.post("/api/inference", json={"text": JAVA}, headers={"X-API-Key": key})
        assert answer.status_code == 200


def test_samples_offer_the_folder_s_resumes_then_one_generated_per_category(
        settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "Java_Developer.txt").write_text(JAVA, encoding="utf-8")
    (folder / "notes.md").write_text("not a resume", encoding="utf-8")
    options = settings.model_copy(update={"service_options": {
        "resumes": {"samples_dir": str(folder)}}})
    with TestClient(create_app(options)) as client:
        offered = client.get("/api/samples").json()["samples"]
    names = list(offered)
    assert names[0] == "java developer"
    assert offered["java developer"] == JAVA
    assert names[1:] == [f"generated: {category}" for category in CATEGORIES]
    for category in CATEGORIES:
        assert offered[f"generated: {category}"].strip()
