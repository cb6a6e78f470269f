"""Product catalogues: products and their vectors in SQL, a FAISS index per catalogue per worker.

The database is the record: an accepted batch is committed with its vectors and bumps the
catalogue's revision in the same transaction, so it survives a restart and every worker sees
it. A worker keeps each catalogue it has searched in memory with its index and compares
revisions (one primary-key read) before a search; a changed catalogue is reloaded. The index
of each revision is also saved under ``MODELWORKS_HOME/catalogs`` so a restarted worker loads
it instead of rebuilding it. Vectors carry the id of the encoder that made them; products
embedded by another encoder version are embedded again when the catalogue loads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from modelworks.core.encoders.minilm import EMBEDDING_DIM
from modelworks.core.errors import NotFound
from modelworks.sdk.database import Base, utcnow
from modelworks.services.similarity.vector_index import VectorIndex

Vectors = NDArray[np.float32]


class Catalog(Base):
    """A catalogue and its revision (bumped by every change)."""

    __tablename__ = "catalogs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogProduct(Base):
    """One product, its attributes (JSON) and its vector (float32 bytes)."""

    __tablename__ = "catalog_products"

    catalog: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    encoder_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Product:
    """A product as clients send it."""

    id: str
    description: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    """A search result."""

    product: Product
    score: float


@dataclass
class _Loaded:
    revision: int
    encoder_id: str
    products: list[Product]
    vectors: Vectors
    index: VectorIndex


class CatalogStore:
    """Writes catalogues to SQL and searches them from memory."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def upsert(self, name: str, products: list[Product], vectors: Vectors,
               encoder_id: str) -> int:
        """Add or replace products; the catalogue's size afterwards."""
        now = utcnow()
        rows = [{"catalog": name, "product_id": product.id, "description": product.description,
                 "attributes": json.dumps(product.attributes), "vector": vector.tobytes(),
                 "encoder_id": encoder_id, "updated_at": now}
                for product, vector in zip(products, vectors, strict=True)]
        with self.engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(CatalogProduct).values(rows)
            connection.execute(statement.on_conflict_do_update(
                index_elements=["catalog", "product_id"],
                set_={column: statement.excluded[column] for column in
                      ("description", "attributes", "vector", "encoder_id", "updated_at")}))
            self._bump(connection, name, dialect)
            return self._size(connection, name)

    def remove(self, name: str, ids: list[str]) -> tuple[int, int]:
        """Delete products by id; (how many were deleted, size afterwards)."""
        with self.engine.begin() as connection:
            deleted = connection.execute(delete(CatalogProduct).where(
                CatalogProduct.catalog == name, CatalogProduct.product_id.in_(ids))).rowcount
            if not self._revision(connection, name):
                raise NotFound(f"no catalogue {name!r}")
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            self._bump(connection, name, dialect)
            return int(deleted), self._size(connection, name)

    def search(self, name: str, query: Vectors, top_k: int, min_score: float,
               filters: dict[str, Any], encoder_id: str,
               embed: Callable[[list[str]], Vectors]) -> list[Hit]:
        """The best products for one query vector, optionally only those matching ``filters``."""
        loaded = self._current(name, encoder_id, embed)
        if filters:
            rows = np.array([i for i, product in enumerate(loaded.products)
                             if all(product.attributes.get(k) == v for k, v in filters.items())],
                            dtype=np.int64)
            if not len(rows):
                return []
            scores = loaded.vectors[rows] @ query
            best = np.argsort(-scores, kind="stable")[:top_k]
            found = [(int(rows[i]), float(scores[i])) for i in best]
        else:
            scores_row, rows_row = loaded.index.search(query[None, :], top_k)
            found = [(int(r), float(s)) for r, s in zip(rows_row[0], scores_row[0], strict=True)
                     if r >= 0]
        return [Hit(loaded.products[row], score) for row, score in found if score >= min_score]

    def _current(self, name: str, encoder_id: str,
                 embed: Callable[[list[str]], Vectors]) -> _Loaded:
        with self.engine.connect() as connection:
            revision = self._revision(connection, name)
        if not revision:
            raise NotFound(f"no catalogue {name!r}; add products with POST /catalogs/{name}"
                           "/products")
        with self._lock:  # one rebuild per change, not one per waiting request
            loaded = self._loaded.get(name)
            if loaded is None or loaded.revision != revision or loaded.encoder_id != encoder_id:
                loaded = self._load(name, revision, encoder_id, embed)
                self._loaded[name] = loaded
            return loaded

    def _load(self, name: str, revision: int, encoder_id: str,
              embed: Callable[[list[str]], Vectors]) -> _Loaded:
        query = select(CatalogProduct.product_id, CatalogProduct.description,
                       CatalogProduct.attributes, CatalogProduct.vector,
                       CatalogProduct.encoder_id).where(
            CatalogProduct.catalog == name).order_by(CatalogProduct.product_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        products = [Product(r.product_id, r.description, json.loads(r.attributes)) for r in rows]
        vectors = np.zeros((len(rows), EMBEDDING_DIM), dtype=np.float32)
        stale = [i for i, r in enumerate(rows) if r.encoder_id != encoder_id]
        for i, r in enumerate(rows):
            if r.encoder_id == encoder_id:
                vectors[i] = np.frombuffer(r.vector, dtype=np.float32)
        if stale:  # made by another encoder version: embed again and keep the new vectors
            vectors[stale] = embed([products[i].description for i in stale])
            self.upsert(name, [products[i] for i in stale], vectors[stale], encoder_id)
            with self.engine.connect() as connection:
                revision = self._revision(connection, name)
        path = self.folder / _safe(name) / f"{encoder_id[:16]}-r{revision}.faiss"
        if path.exists():
            index = VectorIndex.load(path)
        else:
            index = VectorIndex.build(vectors)
            path.parent.mkdir(parents=True, exist_ok=True)
            index.save(path)
        return _Loaded(revision, encoder_id, products, vectors, index)

    @staticmethod
    def _revision(connection: Any, name: str) -> int:
        found = connection.execute(select(Catalog.revision).where(Catalog.name == name))
        return int(found.scalar() or 0)

    @staticmethod
    def _size(connection: Any, name: str) -> int:
        return int(connection.execute(select(func.count()).select_from(CatalogProduct).where(
            CatalogProduct.catalog == name)).scalar_one())

    @staticmethod
    def _bump(connection: Any, name: str, dialect: Any) -> None:
        statement = dialect.insert(Catalog).values(name=name, revision=1, updated_at=utcnow())
        connection.execute(statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"revision": Catalog.revision + 1, "updated_at": statement.excluded.updated_at}))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)



