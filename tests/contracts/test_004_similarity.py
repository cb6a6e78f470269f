"""Seed 004, product similarity: ``POST /predict``, ``GET /health``, the Flask root and 405.

The document's example request is taken from its own curl command and sent as written; the
example script's query and six products (../shared/datasets/product-similarity) are sent too.
The original server answered ``{"queries": [...], "results": [{"query", "results":
[{"product_description", "score"}]}]}`` with scores rounded to 4 places, and ``{"error":
"Queries and product descriptions are required."}`` (400) when either is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import SHARED, RunningApi
from tests.contracts.conftest import seed_document, stand_in

DOCUMENT = seed_document(4)
CURL = re.search(r"curl -X POST -H \"Content-Type: application/json\" -d '(\{.*?\})' "
                 r"http://localhost:8000(/\w+)", DOCUMENT, re.DOTALL)
SCRIPT_EXAMPLE = SHARED / "product-similarity" / "example_product_descriptions.json"
REQUIRED = {"error": "Queries and product descriptions are required."}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
        similarity_registry: Path, serving: list[str]) -> Iterator[RunningApi]:
    with stand_in(tmp_path_factory, minilm_assets, "similarity", similarity_registry,
                  serving=serving) as server:
        yield server


def assert_original_shape(body: dict[str, Any], queries: list[str],
                          descriptions: list[str]) -> None:
    assert set(body) == {"queries", "results"}
    assert body["queries"] == queries
    assert [group["query"] for group in body["results"]] == queries
    for group in body["results"]:
        assert set(group) == {"query", "results"}
        found = [hit["product_description"] for hit in group["results"]]
        assert sorted(found) == sorted(descriptions[:10])
        scores = [hit["score"] for hit in group["results"]]
        assert scores == sorted(scores, reverse=True)
        assert all(set(hit) == {"product_description", "score"} for hit in group["results"])
        assert all(round(score, 4) == score for score in scores)


def test_the_documents_curl_example_as_written(api: RunningApi) -> None:
    assert CURL is not None, "the document's curl example was not found"
    raw, path = CURL.group(1), CURL.group(2)
    response = httpx.post(api.url + path, content=raw.encode(),
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    sent = json.loads(raw)
    assert_original_shape(response.json(), sent["query"], sent["product_descriptions"])
    best = response.json()["results"][0]["results"][0]["product_description"]
    assert "saw" in best  # what can I use to cut wood? -> the circular saw, not the hammer


def test_the_example_scripts_query_and_products(api: RunningApi) -> None:
    example = json.loads(SCRIPT_EXAMPLE.read_text(encoding="utf-8"))
    body = {"query": example["query"], "product_descriptions": example["product_descriptions"]}
    response = httpx.post(f"{api.url}/predict", json=body)
    assert response.status_code == 200, response.text
    assert_original_shape(response.json(), example["query"], example["product_descriptions"])
    as_queries = httpx.post(f"{api.url}/predict", json={
        "queries": example["query"], "product_descriptions": example["product_descriptions"]})
    assert as_queries.json() == response.json()
    one_string = httpx.post(f"{api.url}/predict", json={
        "query": example["query"][0], "product_descriptions": example["product_descriptions"]})
    assert one_string.json() == response.json()


def test_health_root_and_get_on_predict(api: RunningApi) -> None:
    assert "http://localhost:8000/health" in DOCUMENT
    health = httpx.get(f"{api.url}/health")
    assert (health.status_code, health.json()) == (200, {"status": "healthy"})
    root = httpx.get(f"{api.url}/")
    assert (root.status_code, root.json()) == (
        200, {"message": "Welcome to the Sentence Transformer API!"})
    get_predict = httpx.get(f"{api.url}/predict")
    assert get_predict.status_code == 405
    assert get_predict.json() == {"message": "This endpoint only supports POST requests"}


@pytest.mark.parametrize("body", [
    {}, {"query": ["What can I use to cut wood?"]}, {"product_descriptions": ["a saw"]},
    {"queries": [], "product_descriptions": ["a saw"]},
])
def test_missing_queries_or_products_get_the_originals_error(api: RunningApi,
                                                             body: dict[str, Any]) -> None:
    response = httpx.post(f"{api.url}/predict", json=body)
    assert (response.status_code, response.json()) == (400, REQUIRED)


@pytest.mark.parametrize(("body", "field"), [
    ({"query": [3], "product_descriptions": ["a saw"]}, "query"),
    ({"query": ["cut"], "product_descriptions": "a saw"}, "product_descriptions"),
    ({"query": ["cut"], "product_descriptions": ["a saw"], "top_k": 0}, "top_k"),
])
def test_where_the_document_is_silent_errors_name_the_field(api: RunningApi, body: dict[str, Any],
                                                            field: str) -> None:
    response = httpx.post(f"{api.url}/predict", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_catalogues_are_no_part_of_the_document_and_need_a_key(api: RunningApi) -> None:
    product = {"products": [{"id": "saw", "description": "a circular saw"}]}
    assert httpx.post(f"{api.url}/catalogs/shop/products", json=product).status_code == 401
    added = httpx.post(f"{api.url}/catalogs/shop/products", json=product,
                       headers=api.headers)
    assert added.status_code == 200, added.text
