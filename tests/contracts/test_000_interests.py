"""Seed 000, MLE Interview: ``GET /interests/:userHandle`` and the Flask root.

The document's API section gives the route and one example response; its tasks 3, 5 and 6 add
that the interests list has the specified length (15, which the original test checks with no
``top_k``), a ``probability`` per interest and a probability filter. The original test setup
waits for ``GET /`` to answer before it starts.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import RunningApi
from tests.contracts.conftest import seed_document, stand_in

DOCUMENT = seed_document(0)
ROUTE = re.search(r"Route: GET: http://localhost:5005(\S+)", DOCUMENT)
EXAMPLE = re.search(r"API Response:\s*```\s*(\{.*?\})\s*```", DOCUMENT, re.DOTALL)
SPECIFIED_LENGTH = 15  # task 3, as the original test_interests_count asserts


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
        interests_registry: Path, serving: list[str]) -> Iterator[RunningApi]:
    with stand_in(tmp_path_factory, minilm_assets, "interests", interests_registry,
                  serving=serving) as server:
        yield server


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    assert EXAMPLE is not None, "the document's example response was not found"
    parsed: dict[str, Any] = json.loads(EXAMPLE.group(1))
    return parsed


def interests_url(api: RunningApi, handle: str) -> str:
    assert ROUTE is not None, "the document's route was not found"
    return api.url + ROUTE.group(1).replace(":userHandle", handle)


def test_the_root_answers_healthy_as_the_original_test_setup_expects(api: RunningApi) -> None:
    response = httpx.get(f"{api.url}/")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


def test_the_example_user_gets_the_example_shape_with_15_interests(
        api: RunningApi, example: dict[str, Any]) -> None:
    response = httpx.get(interests_url(api, example["user_handle"]))  # no key, no top_k
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == set(example)
    assert (body["user_handle"], body["name"], body["type"]) == (
        example["user_handle"], example["name"], example["type"])
    assert len(body["interests"]) == SPECIFIED_LENGTH
    for interest in body["interests"]:
        assert set(interest) == set(example["interests"][0]) | {"probability"}
        assert uuid.UUID(interest["id"])
        assert isinstance(interest["label"], str)
        assert interest["label"]
        assert 0.0 <= interest["probability"] <= 1.0
    probabilities = [i["probability"] for i in body["interests"]]
    assert probabilities == sorted(probabilities, reverse=True)


def test_clients_filter_by_probability_and_choose_the_length(
        api: RunningApi, example: dict[str, Any]) -> None:
    url = interests_url(api, example["user_handle"])
    everything = httpx.get(url, params={"top_k": 100}).json()["interests"]
    threshold = everything[5]["probability"]
    kept = httpx.get(url, params={"min_probability": threshold}).json()["interests"]
    assert kept == [i for i in everything[:SPECIFIED_LENGTH] if i["probability"] >= threshold]
    assert len(httpx.get(url, params={"top_k": 5}).json()["interests"]) == 5


@pytest.mark.parametrize(("handle", "params", "status", "field"), [
    ("not-a-uuid", {}, 400, "user_handle"),
    (str(uuid.UUID(int=7)), {}, 404, "user_handle"),
    (None, {"top_k": 0}, 400, "top_k"),
    (None, {"min_probability": "high"}, 400, "min_probability"),
])
def test_where_the_document_is_silent_errors_are_json_naming_the_field(
        api: RunningApi, example: dict[str, Any], handle: str | None, params: dict[str, Any],
        status: int, field: str) -> None:
    response = httpx.get(interests_url(api, handle or example["user_handle"]), params=params)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert field in response.json()["error"]


def test_adding_users_is_no_part_of_the_document_and_needs_a_key(api: RunningApi) -> None:
    body = {"users": [{"user_handle": str(uuid.uuid4()), "name": "Ana", "type": "B2C",
                       "consumed": [1, 2]}]}
    assert httpx.post(f"{api.url}/interests/users", json=body).status_code == 401
    added = httpx.post(f"{api.url}/interests/users", json=body, headers=api.headers)
    assert added.status_code == 200, added.text
