"""Ranking metrics shared by the services."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def average_precision_at_k(predicted: Sequence[int], relevant: set[int], k: int) -> float:
    """Kaggle-style AP@k: precision at each hit, over ``min(len(relevant), k)``.

    An item with nothing relevant scores 1.0 (nothing could have been ranked wrong).
    """
    if not relevant:
        return 1.0
    hits = 0
    total = 0.0
    seen: set[int] = set()
    for rank, item in enumerate(predicted[:k], start=1):
        if item in relevant and item not in seen:
            hits += 1
            total += hits / rank
        seen.add(item)
    return total / min(len(relevant), k)


def mean_average_precision_at_k(
    scores: NDArray[np.floating], truth: NDArray[np.bool_], k: int
) -> float:
    """MAP@k of score rows (higher first) against boolean relevance rows of the same shape."""
    if len(scores) == 0:
        raise ValueError("MAP@k of zero rows is undefined")
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean([
        average_precision_at_k(list(row), set(np.flatnonzero(rel).tolist()), k)
        for row, rel in zip(order, truth, strict=True)
    ]))


def recall_at_k(scores: NDArray[np.floating], truth: NDArray[np.bool_], k: int) -> float:
    """Mean share of each row's relevant items found in its top k (rows with none are skipped)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    found = np.take_along_axis(truth, order, axis=1).sum(axis=1)
    wanted = truth.sum(axis=1)
    mask = wanted > 0
    return float(np.mean(found[mask] / wanted[mask])) if mask.any() else 1.0


def ndcg_at_k(scores: NDArray[np.floating], truth: NDArray[np.bool_], k: int) -> float:
    """Mean binary-relevance NDCG@k over rows with at least one relevant item.

    DCG sums ``1 / log2(rank + 1)`` over relevant items in the top k; the ideal DCG puts
    ``min(#relevant, k)`` relevant items first.
    """
    order = top_k_indices(scores, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.take_along_axis(truth, order, axis=1).astype(np.float64)
    dcg = gains @ discounts[: order.shape[1]]
    n_relevant = truth.sum(axis=1)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[np.minimum(n_relevant, k)]
    mask = n_relevant > 0
    if not mask.any():
        raise ValueError("NDCG@k needs at least one row with a relevant item")
    return float(np.mean(dcg[mask] / ideal[mask]))


def precision_at_k(scores: NDArray[np.floating], truth: NDArray[np.bool_], k: int) -> float:
    """Mean share of the top k that is relevant, over rows with at least one relevant item."""
    order = top_k_indices(scores, k)
    hits = np.take_along_axis(truth, order, axis=1).sum(axis=1)
    mask = truth.sum(axis=1) > 0
    if not mask.any():
        raise ValueError("precision@k needs at least one row with a relevant item")
    return float(np.mean(hits[mask] / k))


def catalogue_coverage(scores: NDArray[np.floating], k: int) -> float:
    """Share of all items that appear in at least one row's top k."""
    return len(np.unique(top_k_indices(scores, k))) / int(scores.shape[1])


def top_k_indices(scores: NDArray[np.floating], k: int) -> NDArray[np.intp]:
    """Column indices of each row's k highest scores, best first (ties: lower index first)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def expected_calibration_error(probabilities: NDArray[np.floating], truth: NDArray[np.bool_],
                               bins: int = 15) -> float:
    """ECE: the count-weighted mean gap between stated probability and observed frequency.

    Every (row, label) pair counts once; pairs fall into ``bins`` equal-width probability bins.
    """
    stated = np.asarray(probabilities, dtype=np.float64).ravel()
    observed = np.asarray(truth, dtype=np.float64).ravel()
    if len(stated) == 0:
        raise ValueError("calibration error of zero predictions is undefined")
    which = np.minimum((stated * bins).astype(np.int64), bins - 1)
    stated_sum = np.bincount(which, weights=stated, minlength=bins)
    observed_sum = np.bincount(which, weights=observed, minlength=bins)
    return float(np.abs(stated_sum - observed_sum).sum() / len(stated))
