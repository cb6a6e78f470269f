"""Demographic features shared by the model and the baselines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from modelworks.services.movies.data import OCCUPATIONS

AGE_CENTRES = np.arange(15.0, 70.0, 5.0)
# The age groups of MovieLens 1M, used by the segment-popularity baseline.
AGE_BUCKET_EDGES = (18, 25, 35, 45, 50, 56)


def gender_columns(genders: Sequence[str]) -> NDArray[np.float64]:
    """Columns (male, female); "O" is half of each, so its scores average the two."""
    table = {"M": (1.0, 0.0), "F": (0.0, 1.0), "O": (0.5, 0.5)}
    return np.array([table[g] for g in genders], dtype=np.float64).reshape(len(genders), 2)


def age_columns(ages: NDArray[np.int64] | Sequence[int], width: float) -> NDArray[np.float64]:
    """Gaussian memberships of each age in overlapping age groups, summing to one.

    Neighbouring ages share groups, so a 34- and a 35-year-old are scored alike and ages
    beyond the training range fall to the nearest group.
    """
    values = np.asarray(ages, dtype=np.float64)[:, None]
    weights = np.exp(-0.5 * ((values - AGE_CENTRES) / width) ** 2) + 1e-12
    result: NDArray[np.float64] = weights / weights.sum(axis=1, keepdims=True)
    return result


def occupation_columns(occupations: Sequence[str]) -> NDArray[np.float64]:
    """One-hot of the 21 MovieLens occupations."""
    position = {name: i for i, name in enumerate(OCCUPATIONS)}
    matrix = np.zeros((len(occupations), len(OCCUPATIONS)))
    matrix[np.arange(len(occupations)), [position[o] for o in occupations]] = 1.0
    return matrix


def demographic_features(ages: NDArray[np.int64] | Sequence[int], genders: Sequence[str],
                         occupations: Sequence[str], age_width: float) -> NDArray[np.float64]:
    """Gender, age groups, occupation and gender x age group, one row per person."""
    gender = gender_columns(genders)
    age = age_columns(ages, age_width)
    crossed = (gender[:, :, None] * age[:, None, :]).reshape(len(genders), -1)
    return np.hstack([gender, age, occupation_columns(occupations), crossed])


def age_bucket(age: int) -> int:
    """Index of the MovieLens 1M age group of ``age``."""
    return sum(age >= edge for edge in AGE_BUCKET_EDGES)
