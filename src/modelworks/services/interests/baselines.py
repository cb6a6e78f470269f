"""Baselines the interests model must beat, measured on the same split in the same run."""

from __future__ import annotations

import warnings
from typing import Protocol, Self

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from modelworks.services.interests.data import InterestsData
from modelworks.services.interests.features import linear_features


class Scorer(Protocol):
    """Anything that scores users' interests and turns scores into probabilities."""

    def scores(self, consumed: sparse.csr_matrix, b2b: NDArray[np.bool_]
               ) -> NDArray[np.floating]:
        """Users x interests scores, higher first."""

    def probabilities(self, scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """The probability each score stands for."""


class Popularity:
    """Every user gets the interests most users hold, each with its share of users."""

    def fit(self, data: InterestsData) -> Self:
        """Count how many training users hold each interest."""
        return self.fit_labels(data.interests)

    def fit_labels(self, interests: sparse.csr_matrix) -> Self:
        """The same, from a users x interests indicator matrix."""
        self.share_ = np.asarray(interests.mean(axis=0), dtype=np.float64).ravel()
        return self

    def scores(self, consumed: sparse.csr_matrix, b2b: NDArray[np.bool_]) -> NDArray[np.float64]:
        """The same shares for everyone."""
        return np.tile(self.share_, (consumed.shape[0], 1))

    def probabilities(self, scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Shares are probabilities already."""
        return np.asarray(scores, dtype=np.float64)


class OneVsRest:
    """One independent logistic regression per interest over the same features as ours."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c

    def fit(self, data: InterestsData) -> Self:
        """Fit one liblinear logistic regression per interest."""
        from sklearn.linear_model import LogisticRegression  # comparing only: not in serving
        from sklearn.multiclass import OneVsRestClassifier

        labels = data.interests.toarray().astype(np.int64)
        with warnings.catch_warnings():
            # Interests no training user holds get a constant predictor; that is intended.
            warnings.simplefilter("ignore", UserWarning)
            self.model_ = OneVsRestClassifier(LogisticRegression(C=self.c, solver="liblinear"))
            self.model_.fit(linear_features(data.consumed, data.b2b), labels)
        return self

    def scores(self, consumed: sparse.csr_matrix, b2b: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Each interest's logistic probability."""
        return np.asarray(self.model_.predict_proba(linear_features(consumed, b2b)),
                          dtype=np.float64)

    def probabilities(self, scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Logistic outputs are read as probabilities, uncalibrated."""
        return np.asarray(scores, dtype=np.float64)
