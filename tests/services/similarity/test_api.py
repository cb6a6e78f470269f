"""The similarity contract through the real app and the real encoder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings

PRODUCTS = ["Japanese pull saw for fine joinery in hardwood",
            "Soft plush teddy bear, machine washable",
            "Cordless circular saw with a carbide blade for ripping boards",
            "Stainless steel chef knife for chopping vegetables",
            "Waterproof rain jacket with a packable hood"]
REQUIRED = {"error": "Queries and product descriptions are required."}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             similarity_registry: Path) -> Settings:
    home = tmp_path_factory.mktemp("similarity-home")
    copy_registry(similarity_registry, home)
    return make_settings(home, minilm_assets, services=["similarity"], max_text_chars=2000)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_ranks_descriptions_by_meaning(client: TestClient) -> None:
    response = client.post("/predict", json={
        "queries": ["what can I use to cut wood?", "a toy for a toddler"],
        "product_descriptions": PRODUCTS, "top_k": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["queries"] == ["what can I use to cut wood?", "a toy for a toddler"]
    wood, toy = body["results"]
    assert wood["query"] == "what can I use to cut wood?"
    assert {r["product_description"] for r in wood["results"]} == {PRODUCTS[0], PRODUCTS[2]}
    assert toy["results"][0]["product_description"] == PRODUCTS[1]
    scores = [r["score"] for r in wood["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(round(score, 4) == score and -1 <= score <= 1 for score in scores)
    assert response.headers["X-Model-Version"] == "similarity:1"


def test_default_top_k_single_query_and_min_score(client: TestClient) -> None:
    many = [f"product number {i}" for i in range(15)]
    everything = client.post("/predict", json={"query": "a product",
                                               "product_descriptions": many}).json()
    assert everything["queries"] == ["a product"]
    assert len(everything["results"][0]["results"]) == 10
    strict = client.post("/predict", json={"queries": ["cut wood"], "product_descriptions":
                                           PRODUCTS, "min_score": 0.35}).json()
    kept = strict["results"][0]["results"]
    assert kept
    assert all(r["score"] >= 0.35 for r in kept)
    assert len(kept) < len(PRODUCTS)


def test_query_is_read_exactly_like_queries(client: TestClient) -> None:
    queries = ["what can I use to cut wood?", "a toy for a toddler"]
    as_queries = client.post("/predict", json={"queries": queries,
                                               "product_descriptions": PRODUCTS})
    as_query = client.post("/predict", json={"query": queries, "product_descriptions": PRODUCTS})
    assert as_query.status_code == as_queries.status_code == 200
    assert as_query.json() == as_queries.json()
    one = client.post("/predict", json={"query": queries[0], "product_descriptions": PRODUCTS})
    assert one.json()["results"] == as_queries.json()["results"][:1]
    both = client.post("/predict", json={"query": ["saw"], "queries": ["saw"],
                                         "product_descriptions": PRODUCTS})
    assert both.status_code == 400
    assert both.json()["field"] == "query"
    numbers = client.post("/predict", json={"query": [1], "product_descriptions": PRODUCTS})
    assert numbers.status_code == 400
    assert numbers.json()["field"] == "query"


@pytest.mark.parametrize("body", [
    {}, {"queries": [], "product_descriptions": PRODUCTS}, {"query": [], "product_descriptions":
                                                            PRODUCTS},
    {"queries": ["saw"]}, {"queries": ["saw"], "product_descriptions": []},
    {"query": "", "product_descriptions": PRODUCTS}, {"product_descriptions": PRODUCTS},
])
def test_missing_or_empty_lists_get_the_contract_message(client: TestClient,
                                                         body: dict[str, object]) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 400
    assert response.json() == REQUIRED


@pytest.mark.parametrize(("body", "field"), [
    ({"queries": "saw", "product_descriptions": "a saw"}, "product_descriptions"),
    ({"queries": [1, 2], "product_descriptions": PRODUCTS}, "queries"),
    ({"queries": ["saw"], "product_descriptions": ["ok", "  "]}, "product_descriptions"),
    ({"queries": ["saw"], "product_descriptions": ["x" * 2001]}, "product_descriptions"),
    ({"queries": ["saw"], "product_descriptions": PRODUCTS, "top_k": 0}, "top_k"),
    ({"queries": ["saw"], "product_descriptions": PRODUCTS, "top_k": "5"}, "top_k"),
    ({"queries": ["saw"], "product_descriptions": PRODUCTS, "min_score": "high"}, "min_score"),
])
def test_other_bad_bodies_get_a_400_naming_the_field(client: TestClient, body: dict[str, object],
                                                     field: str) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_bad_json_get_and_health(client: TestClient) -> None:
    broken = client.post("/predict", content=b"{nope")
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["error"]
    wrong_method = client.get("/predict")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"message": "This endpoint only supports POST requests"}
    assert client.get("/health").json() == {"status": "healthy"}


def metric(client: TestClient, name: str) -> float:
    text = client.get("/metrics").text
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert found, name
    return float(found.group(1))


def test_descriptions_are_embedded_once(client: TestClient) -> None:
    catalogue = [f"catalogue item {i}: a sturdy tool" for i in range(40)]
    client.post("/predict", json={"queries": ["first"], "product_descriptions": catalogue})
    misses = metric(client, "modelworks_embedding_cache_misses_total")
    hits = metric(client, "modelworks_embedding_cache_hits_total")
    client.post("/predict", json={"queries": ["second"], "product_descriptions": catalogue})
    assert metric(client, "modelworks_embedding_cache_misses_total") == misses + 1  # the query
    assert metric(client, "modelworks_embedding_cache_hits_total") == hits + 40


def test_scores_and_empty_answers_are_monitored(client: TestClient) -> None:
    before = metric(client, "modelworks_similarity_empty_queries_total")
    client.post("/predict", json={"queries": ["saw"], "product_descriptions": PRODUCTS,
                                  "min_score": 0.99})
    assert metric(client, "modelworks_similarity_empty_queries_total") == before + 1
    assert metric(client, "modelworks_similarity_top1_score_count") > 0


def test_a_redis_cache_is_shared_by_servers(tmp_path: Path, minilm_assets: MiniLMAssets,
                                            similarity_registry: Path) -> None:
    home = tmp_path / "home"
    copy_registry(similarity_registry, home)
    settings = make_settings(home, minilm_assets, services=["similarity"],
                             redis_url="redis://127.0.0.1:6379/0", auth=AuthMode.OFF)
    unique = [f"{tmp_path.name} product {i}" for i in range(5)]  # new to Redis
    body = {"queries": [f"{tmp_path.name} query"], "product_descriptions": unique}
    with TestClient(create_app(settings)) as first:
        first.post("/predict", json=body).raise_for_status()
    with TestClient(create_app(settings)) as second:
        answer = second.post("/predict", json=body).json()
        assert metric(second, "modelworks_embedding_cache_misses_total") == 0
        assert metric(second, "modelworks_embedding_cache_hits_total") == 6
    assert len(answer["results"][0]["results"]) == 5
