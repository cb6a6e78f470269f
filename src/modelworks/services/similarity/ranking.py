"""The three ways of ranking descriptions for a query: dense, BM25, and a hybrid of the two."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray


class Mode(StrEnum):
    """A ranking mode."""

    DENSE = "dense"
    """Cosine similarity of MiniLM sentence embeddings (the score is the cosine)."""
    BM25 = "bm25"
    """Okapi BM25 over words without English stop words (the score is BM25's)."""
    HYBRID = "hybrid"
    """``w * cosine + (1 - w) * BM25 scaled to [0, 1] per query`` (the score is that mix)."""


def _tokens(texts: list[str]) -> list[list[str]]:
    import bm25s  # here, not at the top: serving in dense mode never needs it (0.4 s to import)

    tokenized = bm25s.tokenize(texts, stopwords="en", show_progress=False,
                               return_ids=False)
    return [list(words) for words in tokenized]


def bm25_scores(queries: list[str], documents: list[str]) -> NDArray[np.float32]:
    """Queries x documents BM25 scores (an index of ``documents`` built for this call)."""
    import bm25s

    index = bm25s.BM25()
    index.index(_tokens(documents), show_progress=False)
    scores = np.zeros((len(queries), len(documents)), dtype=np.float32)
    for row, words in enumerate(_tokens(queries)):
        if words:
            scores[row] = index.get_scores(words)
    return scores


def hybrid_scores(dense: NDArray[np.float32], bm25: NDArray[np.float32],
                  dense_weight: float) -> NDArray[np.float32]:
    """Mix cosine scores with BM25 scores divided by each query's best BM25 score."""
    best = bm25.max(axis=1, keepdims=True)
    scaled = np.divide(bm25, best, out=np.zeros_like(bm25), where=best > 0)
    return np.asarray(dense_weight * dense + (1.0 - dense_weight) * scaled, dtype=np.float32)
