"""Exact and HNSW indexes: the same answers (or 95% of them), and a round trip on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from modelworks.services.similarity.vector_index import IndexChoice, VectorIndex, recall_at_k


def unit_rows(n: int, seed: int, dim: int = 64) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_exact_search_matches_brute_force() -> None:
    vectors, queries = unit_rows(2000, 1), unit_rows(20, 2)
    index = VectorIndex.build(vectors)
    assert index.exact
    scores, rows = index.search(queries, 10)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    assert np.array_equal(rows, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ vectors.T, expected, 1),
                               rtol=1e-5)


def test_hnsw_past_the_limit_keeps_recall_at_10_above_0_95(tmp_path: Path) -> None:
    # Clustered data, like real embeddings, is the hard case for a graph index.
    centres = unit_rows(50, 3)
    noise = unit_rows(20_000, 4) * 0.6
    vectors = centres[np.arange(20_000) % 50] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Queries look like the data (a shopper asks for things the shop has).
    queries = vectors[:200] + unit_rows(200, 5) * 1.5  # far off: the nearest are close calls
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    approximate = VectorIndex.build(vectors, IndexChoice(exact_limit=10_000))
    assert not approximate.exact
    exact = VectorIndex.build(vectors)
    found = approximate.search(queries, 10)[1]
    truth = exact.search(queries, 10)[1]
    assert recall_at_k(found, truth) >= 0.95
    approximate.save(tmp_path / "index.faiss")
    reloaded = VectorIndex.load(tmp_path / "index.faiss")
    assert np.array_equal(reloaded.search(queries, 10)[1], found)


def test_small_and_empty_indexes() -> None:
    index = VectorIndex.build(unit_rows(3, 6))
    scores, rows = index.search(unit_rows(2, 7), 10)
    assert rows.shape == (2, 3)  # no more than there are
    assert (np.diff(scores, axis=1) <= 0).all()
    empty = VectorIndex.build(np.zeros((0, 64), dtype=np.float32))
    assert (empty.search(unit_rows(1, 8), 5)[1] == -1).all()
