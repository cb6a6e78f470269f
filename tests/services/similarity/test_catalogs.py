"""Catalogue mode: add, update, remove, search with filters, survive a restart; SQLite and PG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings
from modelworks.server.app import create_app
from modelworks.server.db import make_engine, migrate
from modelworks.services.similarity.catalog import CatalogStore, Product
from modelworks.services.similarity.model import SimilarityModel
from tests.conftest import copy_registry, make_settings

PRODUCTS = [
    {"id": "saw-1", "description": "Japanese pull saw for fine joinery in hardwood",
     "department": "tools", "price": 34.5},
    {"id": "saw-2", "description": "Cordless circular saw with a carbide blade",
     "department": "tools", "price": 129},
    {"id": 7, "description": "Soft plush teddy bear, machine washable", "department": "toys"},
    {"id": "knife", "description": "Stainless steel chef knife for chopping vegetables",
     "department": "kitchen"},
]


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets, similarity_registry: Path,
             database_url: str) -> Settings:
    home = tmp_path / "home"
    copy_registry(similarity_registry, home)
    return make_settings(home, minilm_assets, services=["similarity"],
                         database_url=database_url)


def search(client: TestClient, body: dict[str, object]) -> list[dict[str, object]]:
    response = client.post("/catalogs/shop/search", json=body)
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_add_search_update_remove_and_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        added = client.post("/catalogs/shop/products", json={"products": PRODUCTS})
        assert added.json() == {"catalog": "shop", "upserted": 4, "size": 4}
        found = search(client, {"query": "what can I use to cut wood?", "top_k": 2})
        assert {r["id"] for r in found} == {"saw-1", "saw-2"}
        assert found[0]["metadata"]["department"] == "tools"
        assert all(0 < r["score"] <= 1 for r in found)

        toys = search(client, {"query": "cut wood", "filters": {"department": "toys"}})
        assert [r["id"] for r in toys] == ["7"]
        assert search(client, {"query": "cut wood", "min_score": 0.99}) == []

        # Same id again: replaced, not duplicated; the index follows at once.
        client.post("/catalogs/shop/products", json={"products": [
            {"id": "knife", "description": "Garden hose with a spray nozzle",
             "department": "garden"}]}).raise_for_status()
        watering = search(client, {"query": "water the lawn", "top_k": 1})
        assert watering[0]["id"] == "knife"
        assert watering[0]["metadata"] == {"department": "garden"}

        removed = client.request("DELETE", "/catalogs/shop/products",
                                 json={"ids": ["saw-2", "missing"]})
        assert removed.json() == {"catalog": "shop", "deleted": 1, "size": 3}
        assert "saw-2" not in {r["id"] for r in search(client, {"query": "saw", "top_k": 10})}

    index_files = list((settings.home / "catalogs" / "shop").glob("*.faiss"))
    assert index_files  # persisted under home
    with TestClient(create_app(settings)) as restarted:
        again = search(restarted, {"query": "a soft toy", "top_k": 1})
        assert again[0]["id"] == "7"


def test_errors_name_the_problem(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.post("/catalogs/nothing/search", json={"query": "x"}).status_code == 404
        cases = [
            ("/catalogs/shop/products", {"products": []}, "products"),
            ("/catalogs/shop/products", {"products": [{"id": "a"}]}, "products.0.description"),
            ("/catalogs/shop/products", {"products": [{"description": "a"}]}, "products.0.id"),
            ("/catalogs/bad%20name/products", {"products": PRODUCTS}, "name"),
            ("/catalogs/shop/search", {"query": ""}, "query"),
            ("/catalogs/shop/search", {"query": "x", "filters": {"a": [1]}}, "filters"),
            ("/catalogs/shop/search", {"query": "x", "top_k": 0}, "top_k"),
        ]
        for path, body, field in cases:
            response = client.post(path, json=body)
            assert response.status_code == 400, (path, body, response.text)
            assert response.json()["field"] == field
        gone = client.request("DELETE", "/catalogs/nothing/products", json={"ids": ["a"]})
        assert gone.status_code == 404


def test_products_embedded_by_another_encoder_are_embedded_again(
        tmp_path: Path, minilm_assets: MiniLMAssets, similarity_registry: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    store = CatalogStore(engine, tmp_path / "catalogs")
    model = SimilarityModel.load(Registry(similarity_registry).verified_folder("similarity", 1))
    products = [Product("saw", "A hand saw for cutting lumber", {}),
                Product("bear", "A soft teddy bear", {})]
    old_vectors = np.zeros((2, 384), dtype=np.float32)  # what an older encoder left behind
    old_vectors[:, 0] = 1.0
    store.upsert("shop", products, old_vectors, "an-older-encoder")
    query = model.embed(["cut wood"])[0]
    hits = store.search("shop", query, 2, -1.0, {}, model.encoder_id_, model.embed)
    assert [hit.product.id for hit in hits] == ["saw", "bear"]
    assert hits[0].score > hits[1].score  # real vectors now, not the old identical ones
    with engine.connect() as connection:
        encoders = set(connection.execute(text("SELECT encoder_id FROM catalog_products")
                                          ).scalars())
    assert encoders == {model.encoder_id_}
