"""The shipped relevance set, its checks, and graded nDCG."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest

from modelworks.core.errors import DataError
from modelworks.services.similarity.relevance import (
    graded_ndcg_at_k,
    packaged_folder,
    parse_relevance_set,
    read_relevance_source,
)


def test_the_shipped_set_is_large_and_varied() -> None:
    relevance, digest = read_relevance_source(packaged_folder())
    assert len(relevance.product_ids) >= 300
    assert len(relevance.queries) >= 60
    with (packaged_folder() / "products.csv").open(encoding="utf-8") as handle:
        departments = {row["department"] for row in csv.DictReader(handle)}
    assert {"tools", "kitchen", "garden", "electronics", "clothing", "toys"} <= departments
    assert (relevance.grades.max(axis=1) == 3).all()  # every query has a perfect answer
    assert set(np.unique(relevance.grades)) == {0, 1, 2, 3}
    assert len(digest) == 64


def test_a_zip_reads_like_the_folder() -> None:
    folder = packaged_folder()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(folder / "products.csv", "set/products.csv")
        archive.write(folder / "queries.json", "set/queries.json")
    from_zip, zip_digest = read_relevance_source(buffer.getvalue())
    from_folder, folder_digest = read_relevance_source(folder)
    assert zip_digest == folder_digest
    assert np.array_equal(from_zip.grades, from_folder.grades)


PRODUCTS = b"id,kind,description\np1,saw,a saw\np2,bear,a bear\n"


@pytest.mark.parametrize(("queries", "message"), [
    ([{"query": "cut", "kinds": {"axe": 3}}], "unknown kind 'axe'"),
    ([{"query": "cut", "ids": {"p9": 3}}], "unknown id 'p9'"),
    ([{"query": "cut", "kinds": {"saw": 5}}], "must be 1, 2 or 3"),
    ([{"query": "cut"}], "at least one relevant product"),
    ([{"kinds": {"saw": 3}}], "a string 'query'"),
    ([], "non-empty list"),
])
def test_bad_sets_are_refused(queries: list[object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_relevance_set(PRODUCTS, json.dumps(queries).encode())


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(DataError, match="folder or a zip"):
        read_relevance_source(b"plain text")


def test_graded_ndcg_rewards_the_best_first() -> None:
    grades = np.array([[3, 0, 1, 2]])
    perfect = np.array([[4.0, 1.0, 2.0, 3.0]])
    assert graded_ndcg_at_k(perfect, grades, 3) == pytest.approx(1.0)
    swapped = np.array([[2.0, 1.0, 4.0, 3.0]])  # grade 1 first, then 2, then 3
    discounts = 1 / np.log2([2, 3, 4])
    expected = (np.array([1, 3, 7]) @ discounts) / (np.array([7, 3, 1]) @ discounts)
    assert graded_ndcg_at_k(swapped, grades, 3) == pytest.approx(expected)
