"""Interests from consumption: ridge regression blended with nearest neighbours, calibrated.

Two views of a user, blended:

- *ridge*: one linear score per interest over which titles the user consumed, their account
  type and how much they consume. Multi-output ridge has a closed form (one Cholesky solve for
  all interests at once), so it fits 16,000 users x 500 interests in about two seconds; it
  learns which titles speak for which interest.
- *neighbours*: the interests of the ``neighbours`` most similar labelled users (cosine of
  idf-weighted consumption, weights = similarity squared). It carries what the interests of a
  topic have in common, which helps niche interests that few users hold.

The blend is a score, not a probability. An isotonic map from score to probability is fitted on
a calibration share of the training users that the ridge and the neighbour pool did not see,
so the reported probabilities mean what they say (expected calibration error is measured on
held-out users). Ranking uses the blended score, so ties of the step-wise map never reorder.

The labelled users are the neighbour pool and the known population the service answers for.
Saved as ``.npy`` arrays and JSON; loading never unpickles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from modelworks.core.arrays import load_shared
from modelworks.core.progress import Progress, no_progress
from modelworks.services.interests.data import Catalogue, InterestsData
from modelworks.services.interests.features import (
    inverse_document_frequency,
    linear_features,
    tfidf_rows,
)

_ARRAYS = ("ridge_weights", "idf", "pool_b2b", "calibration_scores", "calibration_probabilities",
           "title_ids", "known_columns", "known_probabilities")
_CSR = ("pool_consumed", "pool_interests")
_CHUNK = 1000
KNOWN_TOP = 100
"""How many interests are ranked ahead of time for each user of the labelled pool."""


@dataclass(frozen=True)
class Ranked:
    """One user's interests, best first: catalogue columns and their probabilities."""

    columns: NDArray[np.int64]
    probabilities: NDArray[np.float64]


class InterestModel:
    """Multi-label interests model; scikit-learn style (parameters in ``__init__``)."""

    def __init__(self, ridge_alpha: float = 30.0, neighbours: int = 50,
                 neighbour_weight: float = 0.3, calibration_share: float = 0.2,
                 random_state: int = 0) -> None:
        self.ridge_alpha = ridge_alpha
        self.neighbours = neighbours
        self.neighbour_weight = neighbour_weight
        self.calibration_share = calibration_share
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters."""
        return {"ridge_alpha": self.ridge_alpha, "neighbours": self.neighbours,
                "neighbour_weight": self.neighbour_weight,
                "calibration_share": self.calibration_share, "random_state": self.random_state}

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, data: InterestsData, progress: Progress = no_progress) -> Self:
        """Fit ridge and pool on most users, calibrate on the rest, then refit on everyone."""
        from sklearn.isotonic import IsotonicRegression  # training only: not in serving

        order = np.random.default_rng(self.random_state).permutation(data.n_users)
        n_calibration = max(1, round(data.n_users * self.calibration_share))
        fitting = data.subset(np.sort(order[n_calibration:]))
        calibration = data.subset(np.sort(order[:n_calibration]))
        progress("fitting ridge on the fitting share", 0.1)
        self._fit_scorer(fitting)
        progress("calibrating on the calibration share", 0.4)
        scores = self.scores(calibration.consumed, calibration.b2b)
        isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
            scores.ravel(), calibration.interests.toarray().ravel())
        self.calibration_scores_ = np.asarray(isotonic.X_thresholds_, dtype=np.float64)
        self.calibration_probabilities_ = np.asarray(isotonic.y_thresholds_, dtype=np.float64)
        progress("refitting on every user", 0.7)
        self._fit_scorer(data)
        self.catalogue_ = data.catalogue
        self.title_ids_ = data.catalogue.title_ids
        self.handles_, self.names_ = list(data.handles), list(data.names)
        self.row_of_ = {handle: row for row, handle in enumerate(self.handles_)}
        progress("ranking every known user's interests", 0.85)
        self._rank_pool()
        progress("fitted", 1.0)
        return self

    def _rank_pool(self) -> None:
        # Known users are answered from this table: a slice per request, no arithmetic.
        n_users = self.pool_consumed_.shape[0]
        top = min(KNOWN_TOP, self.ridge_weights_.shape[1])
        columns = np.empty((n_users, top), dtype=np.int32)
        probabilities = np.empty((n_users, top), dtype=np.float32)
        for start in range(0, n_users, _CHUNK):
            rows = np.arange(start, min(start + _CHUNK, n_users))
            scores = self.scores(self.pool_consumed_[rows], self.pool_b2b_[rows], rows)
            best = np.argpartition(-scores, top - 1, axis=1)[:, :top]
            order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
            best = np.take_along_axis(best, order, axis=1)
            columns[rows] = best
            probabilities[rows] = self.probabilities(np.take_along_axis(scores, best, axis=1))
        self.known_columns_, self.known_probabilities_ = columns, probabilities

    def _fit_scorer(self, data: InterestsData) -> None:
        from sklearn.linear_model import Ridge

        ridge = Ridge(alpha=self.ridge_alpha, solver="cholesky", fit_intercept=False)
        ridge.fit(linear_features(data.consumed, data.b2b), data.interests.toarray())
        self.ridge_weights_ = np.ascontiguousarray(ridge.coef_.T, dtype=np.float32)
        self.idf_ = inverse_document_frequency(data.consumed)
        self.pool_consumed_ = sparse.csr_matrix(data.consumed, dtype=np.float32)
        self.pool_interests_ = sparse.csr_matrix(data.interests, dtype=np.float32)
        self.pool_b2b_ = data.b2b.copy()
        self._index_pool()

    def _index_pool(self) -> None:
        # Titles x users, so one user's similarities read only the rows of their titles.
        self.pool_by_title_ = sparse.csr_matrix(
            tfidf_rows(self.pool_consumed_, self.idf_).T, dtype=np.float32)

    # -- scoring ---------------------------------------------------------------------------

    def scores(self, consumed: sparse.csr_matrix, b2b: NDArray[np.bool_],
               exclude: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """Blended scores (users x interests); ``exclude[i]``: pool row user i may not use."""
        out = np.empty((consumed.shape[0], self.ridge_weights_.shape[1]), dtype=np.float32)
        for start in range(0, consumed.shape[0], _CHUNK):
            rows = slice(start, start + _CHUNK)
            part = consumed[rows]
            ridge = linear_features(part, b2b[rows]) @ self.ridge_weights_
            skip = exclude[rows] if exclude is not None else None
            neighbours = self._neighbour_vote(part, skip)
            out[rows] = (1 - self.neighbour_weight) * ridge + self.neighbour_weight * neighbours
        return out

    def _neighbour_vote(self, consumed: sparse.csr_matrix,
                        exclude: NDArray[np.int64] | None) -> NDArray[np.float32]:
        similarity = np.asarray((tfidf_rows(consumed, self.idf_) @ self.pool_by_title_)
                                .toarray(), dtype=np.float32)
        if exclude is not None:
            own = exclude >= 0
            similarity[np.flatnonzero(own), exclude[own]] = 0.0
        k = min(self.neighbours, similarity.shape[1] - 1)
        nearest = np.argpartition(-similarity, k, axis=1)[:, :k]
        weights = np.take_along_axis(similarity, nearest, axis=1) ** 2
        totals = weights.sum(axis=1, keepdims=True)
        weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
        rows = np.repeat(np.arange(len(nearest)), k)
        mixing = sparse.csr_matrix((weights.ravel(), (rows, nearest.ravel())),
                                   shape=(len(nearest), self.pool_interests_.shape[0]))
        return np.asarray((mixing @ self.pool_interests_).toarray(), dtype=np.float32)

    def probabilities(self, scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Calibrated probability of each score (the isotonic map, linearly interpolated)."""
        calibrated: NDArray[np.float64] = np.interp(scores, self.calibration_scores_,
                                                    self.calibration_probabilities_)
        return calibrated

    def rank(self, title_ids: NDArray[np.int64], b2b: bool, top_k: int,
             pool_row: int | None = None) -> Ranked:
        """The ``top_k`` interests of one user; ``pool_row``: their own row, never a neighbour.

        The same arithmetic as :meth:`scores` on plain index arrays: building scipy matrices
        for a single row costs more than the maths. Unknown title ids are ignored.
        """
        columns = self.catalogue_.title_columns(title_ids)
        return self.rank_columns(np.unique(columns[columns >= 0]), b2b, top_k, pool_row)

    def rank_known(self, pool_row: int, top_k: int) -> Ranked:
        """The ``top_k`` interests of a user of the labelled pool (ranked when fitted)."""
        if top_k > self.known_columns_.shape[1]:
            start, end = self.pool_consumed_.indptr[pool_row:pool_row + 2]
            return self.rank_columns(self.pool_consumed_.indices[start:end].astype(np.int64),
                                     bool(self.pool_b2b_[pool_row]), top_k, pool_row)
        return Ranked(self.known_columns_[pool_row, :top_k].astype(np.int64),
                      self.known_probabilities_[pool_row, :top_k].astype(np.float64))

    def rank_columns(self, columns: NDArray[np.int64], b2b: bool, top_k: int,
                     pool_row: int | None = None) -> Ranked:
        """Like :meth:`rank`, from catalogue columns (unique, in range) instead of ids."""
        n_titles = len(self.title_ids_)
        weights = self.ridge_weights_
        ridge = (weights[columns].sum(axis=0) + weights[n_titles + (0 if b2b else 1)]
                 + np.log1p(len(columns)) / 4.0 * weights[n_titles + 2])
        scores = (1 - self.neighbour_weight) * ridge + self.neighbour_weight * self._vote_of(
            columns, pool_row)
        k = min(top_k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return Ranked(best.astype(np.int64), self.probabilities(scores[best]))

    def _vote_of(self, columns: NDArray[np.int64], pool_row: int | None) -> NDArray[np.float32]:
        n_interests = self.ridge_weights_.shape[1]
        if len(columns) == 0:
            return np.zeros(n_interests, dtype=np.float32)
        query = self.idf_[columns]
        query = query / np.sqrt(np.dot(query, query))
        users, strengths = _gather_rows(self.pool_by_title_, columns, query)
        similarity = np.bincount(users, weights=strengths,
                                 minlength=self.pool_by_title_.shape[1])
        if pool_row is not None:
            similarity[pool_row] = 0.0
        candidates = np.flatnonzero(similarity)
        k = min(self.neighbours, len(candidates))
        if k == 0:
            return np.zeros(n_interests, dtype=np.float32)
        nearest = candidates[np.argpartition(-similarity[candidates], k - 1)[:k]]
        vote = similarity[nearest] ** 2
        labels, shares = _gather_rows(self.pool_interests_, nearest, vote / vote.sum())
        return np.bincount(labels, weights=shares, minlength=n_interests).astype(np.float32)

    def unknown_titles(self, title_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """The ids among ``title_ids`` that the catalogue does not hold."""
        return title_ids[self.catalogue_.title_columns(title_ids) < 0]

    # -- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Arrays as ``.npy`` (sparse ones as their CSR parts), the rest as JSON."""
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, f"{name}_"), allow_pickle=False)
        for name in _CSR:
            matrix: sparse.csr_matrix = getattr(self, f"{name}_")
            for part in ("indptr", "indices"):
                np.save(folder / f"{name}_{part}.npy", getattr(matrix, part), allow_pickle=False)
        (folder / "model.json").write_text(json.dumps({
            "params": self.get_params(),
            "interest_ids": self.catalogue_.interest_ids,
            "interest_labels": self.catalogue_.interest_labels,
            "handles": self.handles_, "names": self.names_,
        }))

    @classmethod
    def load(cls, folder: Path) -> InterestModel:
        """Load what ``save`` wrote."""
        meta = json.loads((folder / "model.json").read_text())
        model = cls(**meta["params"])
        for name in _ARRAYS:
            setattr(model, f"{name}_", load_shared(folder / f"{name}.npy"))
        n_titles = len(model.title_ids_)
        widths = {"pool_consumed": n_titles, "pool_interests": len(meta["interest_ids"])}
        for name in _CSR:
            indptr = load_shared(folder / f"{name}_indptr.npy")
            indices = load_shared(folder / f"{name}_indices.npy")
            setattr(model, f"{name}_", sparse.csr_matrix(
                (np.ones(len(indices), dtype=np.float32), indices, indptr),
                shape=(len(indptr) - 1, widths[name])))
        model.catalogue_ = Catalogue(meta["interest_ids"], meta["interest_labels"],
                                     model.title_ids_)
        model.handles_, model.names_ = meta["handles"], meta["names"]
        model.row_of_ = {handle: row for row, handle in enumerate(model.handles_)}
        model._index_pool()
        return model


def _gather_rows(matrix: sparse.csr_matrix, rows: NDArray[np.int64],
                 row_weights: NDArray[np.floating]) -> tuple[NDArray[np.int64],
                                                            NDArray[np.float64]]:
    """Column indices of ``rows`` and their values times each row's weight, concatenated."""
    starts, ends = matrix.indptr[rows], matrix.indptr[rows + 1]
    lengths = ends - starts
    # A ragged arange: position j of row r maps to starts[r] + j.
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    picks = offsets + np.arange(int(lengths.sum()))
    return matrix.indices[picks], matrix.data[picks] * np.repeat(row_weights, lengths)
