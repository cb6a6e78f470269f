"""Baselines of the cold-start protocol, with the model's ``fit`` / ``scores`` interface."""

from __future__ import annotations

from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from modelworks.core.progress import Progress, no_progress
from modelworks.services.movies.data import MovieLens
from modelworks.services.movies.features import age_bucket


class Recommender(Protocol):
    """Anything that scores every movie for demographic profiles after fitting on ratings."""

    def fit(self, data: MovieLens, progress: Progress = no_progress) -> Self:
        """Learn from ``data``'s users and ratings."""

    def scores(self, ages: Any, genders: list[str], occupations: list[str]
               ) -> NDArray[np.floating[Any]]:
        """One row of movie scores per profile; higher ranks first."""


class GlobalPopularity:
    """Every profile gets the movies most often rated 4 or more."""

    def fit(self, data: MovieLens, progress: Progress = no_progress) -> Self:
        """Count likes per movie."""
        self.likes_ = data.liked().sum(axis=0).astype(np.float64)
        return self

    @classmethod
    def from_likes(cls, likes: NDArray[np.floating[Any]]) -> GlobalPopularity:
        """A baseline from like counts already counted (a model's training popularity)."""
        baseline = cls()
        baseline.likes_ = np.asarray(likes, dtype=np.float64)
        return baseline

    def scores(self, ages: Any, genders: list[str], occupations: list[str]
               ) -> NDArray[np.float64]:
        """The same counts for every profile."""
        return np.tile(self.likes_, (len(genders), 1))


class SegmentPopularity:
    """Likes counted within the profile's age group x gender ("O" counts both genders)."""

    def fit(self, data: MovieLens, progress: Progress = no_progress) -> Self:
        """Count likes per movie within each segment."""
        liked = data.liked()
        self.likes_: dict[tuple[int, str], NDArray[np.float64]] = {}
        for row, (age, gender) in enumerate(zip(data.ages, data.genders, strict=True)):
            key = (age_bucket(int(age)), gender)
            if key not in self.likes_:
                self.likes_[key] = np.zeros(data.n_items)
            self.likes_[key] += liked[row]
        self.global_ = liked.sum(axis=0).astype(np.float64)
        return self

    def scores(self, ages: Any, genders: list[str], occupations: list[str]
               ) -> NDArray[np.float64]:
        """Each profile's segment counts (global counts for a segment never seen)."""
        rows = []
        for age, gender in zip(ages, genders, strict=True):
            bucket = age_bucket(int(age))
            parts = [self.likes_[(bucket, g)] for g in (("M", "F") if gender == "O" else (gender,))
                     if (bucket, g) in self.likes_]
            rows.append(np.sum(parts, axis=0) if parts else self.global_)
        return np.array(rows)


class MeanRating:
    """Movies by mean rating, shrunk toward the global mean.

    This is what a linear regression of rating on demographics plus movie one-hot ranks by:
    demographics shift every movie alike, so the ranking is the movies' own means.
    """

    def __init__(self, shrinkage: float = 10.0) -> None:
        self.shrinkage = shrinkage

    def fit(self, data: MovieLens, progress: Progress = no_progress) -> Self:
        """Shrunk mean rating of each movie."""
        total = np.bincount(data.rating_item, weights=data.rating_value, minlength=data.n_items)
        count = np.bincount(data.rating_item, minlength=data.n_items)
        overall = float(data.rating_value.mean())
        self.mean_ = (total + self.shrinkage * overall) / (count + self.shrinkage)
        return self

    def scores(self, ages: Any, genders: list[str], occupations: list[str]
               ) -> NDArray[np.float64]:
        """The same means for every profile."""
        return np.tile(self.mean_, (len(genders), 1))
