"""Quality signals: one number per served prediction whose distribution says how sure a model is.

A service that declares one (``Monitored``) tells the monitoring page what to draw from its
prediction log (a resume's category probability, a query's best similarity score) and, when
it trains, gives the same number on its held-out rows; the live version's held-out values
are the reference a recent window is compared with (``drift``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from modelworks.core.service import TrainingData

REFERENCE_SIZE = 1000
"""At most this many held-out values are stored with a version."""

DRIFT_STATISTIC = 0.2
"""A Kolmogorov-Smirnov distance above this (with a p-value under 0.01) is called drift."""

MIN_DRIFT_VALUES = 30
"""Fewer recent values than this are not compared."""


@dataclass(frozen=True)
class QualitySignal:
    """What to read from each logged output, and the line under which a value is a worry."""

    name: str
    description: str
    values_of: Callable[[Any], list[float]]
    """The signal's values in one logged output (a prediction-log ``output`` record)."""
    threshold: float | None = None
    """Values under it are counted (e.g. similarity's ``min_score``); ``None``: no line."""


@runtime_checkable
class Monitored(Protocol):
    """A service whose predictions carry a quality signal."""

    def quality_signal(self) -> QualitySignal:
        """The signal, with thresholds from the service's settings."""

    def held_out_quality(self, model: Any, holdout: TrainingData) -> list[float]:
        """The signal's values for ``model``'s answers on held-out rows."""


def reference_sample(values: Sequence[float], seed: int = 0) -> list[float]:
    """At most ``REFERENCE_SIZE`` of ``values``, drawn evenly at random, rounded to 4 places."""
    array = np.asarray(values, dtype=np.float64)
    if len(array) > REFERENCE_SIZE:
        array = np.random.default_rng(seed).choice(array, REFERENCE_SIZE, replace=False)
    return [round(float(value), 4) for value in array]


@dataclass(frozen=True)
class Drift:
    """How far recent values moved from the reference (two-sample Kolmogorov-Smirnov)."""

    statistic: float
    p_value: float
    warning: bool
    message: str


def drift(recent: Sequence[float], reference: Sequence[float]) -> Drift | None:
    """The comparison, or ``None`` when either side has too few values to say."""
    if len(recent) < MIN_DRIFT_VALUES or len(reference) < MIN_DRIFT_VALUES:
        return None
    from scipy.stats import ks_2samp  # scipy.stats costs 0.4 s to import: only when asked

    test = ks_2samp(np.asarray(recent), np.asarray(reference))
    statistic, p_value = float(test.statistic), float(test.pvalue)
    warning = statistic > DRIFT_STATISTIC and p_value < 0.01
    shift = float(np.median(recent) - np.median(reference))
    message = (f"recent values {'differ from' if warning else 'match'} the live version's "
               f"held-out ones (KS distance {statistic:.2f}, p={p_value:.3g}; median "
               f"{'+' if shift >= 0 else ''}{shift:.3f})")
    return Drift(round(statistic, 4), p_value, warning, message)
