"""The relevance set: products, shopper queries and graded judgements, and nDCG over them.

``evaluation/products.csv`` holds 300 products over 12 departments, each with a ``kind``;
``evaluation/queries.json`` holds 65 queries worded as shoppers word needs ("what can I use to
cut wood?"), each grading product kinds or single products 3 (what was asked for), 2 (clearly
useful for it) or 1 (related). Both were written for this project. A folder holding the same two
files is a training set of the similarity service.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from modelworks.core.errors import DataError
from modelworks.core.tabular import read_csv

PRODUCTS = "products.csv"
QUERIES = "queries.json"
GRADES = (1, 2, 3)


@dataclass(frozen=True)
class RelevanceSet:
    """Products, queries, and a queries x products matrix of grades (0 = not relevant)."""

    product_ids: list[str]
    descriptions: list[str]
    queries: list[str]
    grades: NDArray[np.int64]

    def subset(self, queries: NDArray[np.int64]) -> RelevanceSet:
        """The same products with only the queries at ``queries``."""
        return RelevanceSet(self.product_ids, self.descriptions,
                            [self.queries[i] for i in queries], self.grades[queries])


def packaged_folder() -> Path:
    """The folder of the relevance set shipped inside the package."""
    return Path(str(resources.files("modelworks.services.similarity.evaluation")))


def read_relevance_source(source: bytes | Path) -> tuple[RelevanceSet, str]:
    """A relevance set from a folder or a zip (a path, or an upload's bytes)."""
    if isinstance(source, Path) and source.is_dir():
        try:
            return parse_relevance_set((source / PRODUCTS).read_bytes(),
                                       (source / QUERIES).read_bytes())
        except OSError as exc:
            raise DataError(f"a relevance set is a folder with {PRODUCTS} and {QUERIES}: "
                            f"{exc.strerror} ({exc.filename})") from exc
    raw = source if isinstance(source, bytes) else source.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = {Path(name).name: name for name in archive.namelist()}
            return parse_relevance_set(archive.read(names[PRODUCTS]),
                                       archive.read(names[QUERIES]))
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"a relevance set is a folder or a zip with {PRODUCTS} and "
                        f"{QUERIES}") from exc


def parse_relevance_set(products_raw: bytes, queries_raw: bytes) -> tuple[RelevanceSet, str]:
    """Check a relevance set; the set and the sha256 of its two files."""
    rows = read_csv(products_raw, ["id", "kind", "description"])
    ids = [row.values["id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise DataError(f"{PRODUCTS}: product ids must be unique")
    kinds = [row.values["kind"] for row in rows]
    try:
        queries = json.loads(queries_raw)
    except ValueError as exc:
        raise DataError(f"{QUERIES} is not valid JSON: {exc}") from exc
    if not isinstance(queries, list) or not queries:
        raise DataError(f"{QUERIES} must be a non-empty list of queries")
    grades = np.zeros((len(queries), len(ids)), dtype=np.int64)
    position = {product_id: i for i, product_id in enumerate(ids)}
    for number, query in enumerate(queries, start=1):
        _check_query(query, number, set(kinds), position)
        for j, kind in enumerate(kinds):
            grades[number - 1, j] = query.get("kinds", {}).get(kind, 0)
        for product_id, grade in query.get("ids", {}).items():
            column = position[product_id]
            grades[number - 1, column] = max(grades[number - 1, column], grade)
    if (grades.max(axis=1) == 0).any():
        raise DataError(f"{QUERIES}: every query needs at least one relevant product")
    digest = hashlib.sha256(products_raw + b"\0" + queries_raw).hexdigest()
    return RelevanceSet(ids, [row.values["description"] for row in rows],
                        [query["query"] for query in queries], grades), digest


def _check_query(query: object, number: int, kinds: set[str], ids: dict[str, int]) -> None:
    where = f"{QUERIES}: query {number}"
    if not isinstance(query, dict) or not isinstance(query.get("query"), str):
        raise DataError(f"{where} must be an object with a string 'query'")
    for field, known in (("kinds", kinds), ("ids", ids)):
        graded = query.get(field, {})
        if not isinstance(graded, dict):
            raise DataError(f"{where}: '{field}' must map names to grades 1-3")
        for name, grade in graded.items():
            if name not in known:
                raise DataError(f"{where}: unknown {field[:-1]} {name!r}")
            if grade not in GRADES:
                raise DataError(f"{where}: grade of {name!r} must be 1, 2 or 3")


def graded_ndcg_at_k(scores: NDArray[np.floating], grades: NDArray[np.int64], k: int) -> float:
    """Mean nDCG@k with gains ``2**grade - 1`` (ties broken by product order)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    gains = (2.0 ** np.take_along_axis(grades, order, axis=1)) - 1.0
    best_first = -np.sort(-grades, axis=1)[:, :k]
    ideal = (2.0 ** best_first) - 1.0
    return float(np.mean((gains @ discounts) / (ideal @ discounts)))
