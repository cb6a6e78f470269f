"""Inputs that used to answer 500 (issue 15, item 6) get a 4xx naming the problem, or work.

The NUL-character cases run on PostgreSQL too: its text type cannot hold NUL, SQLite's can.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.server.app import create_app
from modelworks.services.resumes.history import ResumePrediction
from tests.conftest import copy_registry, make_settings


@pytest.fixture(scope="module")
def genres(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
           genres_registry: Path) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("bad-genres")
    copy_registry(genres_registry, home)
    with TestClient(create_app(make_settings(home, minilm_assets, services=["genres"]))) as c:
        yield c


@pytest.fixture
def stored(tmp_path: Path, minilm_assets: MiniLMAssets, database_url: str,
           resumes_registry: Path, similarity_registry: Path,
           interests_registry: Path) -> Iterator[TestClient]:
    """Resumes, similarity and interests on SQLite and on the real PostgreSQL."""
    for registry in (resumes_registry, similarity_registry, interests_registry):
        copy_registry(registry, tmp_path)
    settings = make_settings(tmp_path, minilm_assets, database_url=database_url,
                             services=["resumes", "similarity", "interests"])
    with TestClient(create_app(settings)) as client:
        yield client


def csv_file(year: str, genres: bool = False) -> dict[str, tuple[str, bytes, str]]:
    header = "movie_id,year,synopsis" + (",genres" if genres else "")
    rows = [f"{i},{year},A detective hunts a killer in the city number {i}."
            + (",Crime Thriller" if genres else "") for i in range(1, 30)]
    return {"file": ("movies.csv", "\n".join([header, *rows]).encode(), "text/csv")}


@pytest.mark.parametrize("year", ["inf", "-inf", "nan", "1e400", "9" * 5000, "1e-5", "2101"])
@pytest.mark.parametrize("path", ["/genres/predict", "/genres/train", "/models/genres/train"])
def test_a_year_that_is_no_year_is_a_400(genres: TestClient, path: str, year: str) -> None:
    response = genres.post(path, files=csv_file(year, genres=path != "/genres/predict"))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "year"
    assert len(response.json()["error"]) < 200  # the 5,000 digits are not echoed back


def test_a_title_id_beyond_int64_is_a_400(stored: TestClient) -> None:
    user = {"user_handle": "0b7e4c3a-5f0e-4d8a-9a57-2f1d3c4b5a69", "name": "Ana",
            "type": "B2C", "consumed": [9223372036854775808]}
    response = stored.post("/interests/users", json={"users": [user]})
    assert response.status_code == 400
    assert response.json()["field"] == "users.0.consumed.0"


def test_a_nul_in_a_user_name_is_a_400(stored: TestClient) -> None:
    user = {"user_handle": "0b7e4c3a-5f0e-4d8a-9a57-2f1d3c4b5a69", "name": "A\x00na",
            "type": "B2C", "consumed": []}
    response = stored.post("/interests/users", json={"users": [user]})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]


def test_a_resume_with_a_nul_is_classified_and_stored(stored: TestClient) -> None:
    response = stored.post("/api/inference?detail=true",
                           json={"text": "Oracle DBA\x00 with RMAN and Data Guard"})
    assert response.status_code == 200, response.text
    with Session(stored.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(ResumePrediction, response.json()["prediction_id"])
        assert row is not None
        assert row.text_preview == "Oracle DBA\ufffd with RMAN and Data Guard"
        assert session.scalar(select(ResumePrediction.id).limit(1)) is not None


@pytest.mark.parametrize(("product", "field"), [
    ({"id": "saw", "description": "a circular\x00 saw"}, "products.0.description"),
    ({"id": "s\x00aw", "description": "a circular saw"}, "products.0.id"),
    ({"id": "saw", "description": "a saw", "deep": "x"}, None),
])
def test_products_with_nul_or_deep_attributes_are_a_400(
        stored: TestClient, product: dict[str, object], field: str | None) -> None:
    body = orjson.dumps({"products": [product]})
    if field is None:  # an attribute nested 1,000 deep (written by hand: encoders refuse it)
        body = body.replace(b'"deep":"x"', b'"deep":' + b'{"d":' * 1000 + b'0' + b'}' * 1000)
        field = "products.0"
    response = stored.post("/catalogs/shop/products", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_deleting_too_many_ids_at_once_is_a_413(stored: TestClient) -> None:
    stored.post("/catalogs/shop/products", json={"products": [
        {"id": "saw", "description": "a circular saw"}]}).raise_for_status()
    response = stored.request("DELETE", "/catalogs/shop/products",
                              json={"ids": [str(i) for i in range(100_000)]})
    assert response.status_code == 413
    assert response.json()["field"] == "ids"
    kept = stored.request("DELETE", "/catalogs/shop/products", json={"ids": ["saw"]})
    assert kept.json()["deleted"] == 1
