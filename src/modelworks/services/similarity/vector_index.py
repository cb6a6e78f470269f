"""Nearest-neighbour search over unit vectors with FAISS: exact while small, HNSW past that.

Inner product on unit vectors is the cosine. Exact search (``IndexFlatIP``) costs one matrix
product per query, which stays under a few milliseconds up to tens of thousands of items;
past ``exact_limit`` an HNSW graph answers in well under a millisecond at a recall@10 that
the tests and ``make bench`` measure against exact search.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

EXACT_LIMIT = 50_000
HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 80
HNSW_SEARCH_DEPTH = 384


@dataclass(frozen=True)
class IndexChoice:
    """Which structure to build and how hard an approximate one searches."""

    exact_limit: int = EXACT_LIMIT
    neighbours: int = HNSW_NEIGHBOURS
    build_depth: int = HNSW_BUILD_DEPTH
    search_depth: int = HNSW_SEARCH_DEPTH


class VectorIndex:
    """A FAISS index over rows ``0..n-1`` of a float32 matrix of unit vectors."""

    def __init__(self, index: faiss.Index, size: int) -> None:
        self._index = index
        self.size = size

    @property
    def exact(self) -> bool:
        """Whether searches are exact."""
        return isinstance(self._index, faiss.IndexFlat)

    @classmethod
    def build(cls, vectors: NDArray[np.float32], choice: IndexChoice | None = None
              ) -> VectorIndex:
        """Exact below ``choice.exact_limit`` rows, HNSW at or above it."""
        choice = choice or IndexChoice()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) < choice.exact_limit:
            index: faiss.Index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, choice.neighbours, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = choice.build_depth
            index.hnsw.efSearch = choice.search_depth
        index.add(vectors)
        return cls(index, len(vectors))

    def set_search_depth(self, depth: int) -> None:
        """How many candidates an HNSW search keeps (more: better recall, slower)."""
        if isinstance(self._index, faiss.IndexHNSW):
            self._index.hnsw.efSearch = depth

    def search(self, queries: NDArray[np.float32], k: int
               ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and row numbers of the ``k`` best rows per query (row -1: fewer exist)."""
        k = max(1, min(k, self.size)) if self.size else 1
        if not self.size:
            empty = np.full((len(queries), 1), -1, dtype=np.int64)
            return np.full((len(queries), 1), -np.inf, dtype=np.float32), empty
        scores, rows = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return np.asarray(scores, dtype=np.float32), np.asarray(rows, dtype=np.int64)

    def save(self, path: Path) -> None:
        """Write the index (atomically: a temporary file renamed into place)."""
        partial = path.with_suffix(".tmp")
        faiss.write_index(self._index, str(partial))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """Read an index written by :meth:`save`."""
        index = faiss.read_index(str(path))
        return cls(index, int(index.ntotal))


def recall_at_k(found: NDArray[np.int64], truth: NDArray[np.int64]) -> float:
    """Share of the true top-k rows that were found, averaged over queries."""
    hits = [len(set(row) & set(true)) / len(true) for row, true in zip(found, truth, strict=True)]
    return float(np.mean(hits))
