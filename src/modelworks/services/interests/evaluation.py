"""Held-out metrics of an interests scorer against the interests users truly hold."""

from __future__ import annotations

import numpy as np

from modelworks.core.evaluation import (
    expected_calibration_error,
    mean_average_precision_at_k,
    precision_at_k,
    recall_at_k,
    top_k_indices,
)
from modelworks.services.interests.baselines import Scorer
from modelworks.services.interests.data import InterestsData

K = 10


def held_out_metrics(scorer: Scorer, data: InterestsData) -> dict[str, float]:
    """Precision, recall and MAP at 10; calibration error over every pair and over the top 10.

    ``ece`` weighs every (user, interest) pair, most of them near zero; ``ece@10`` looks only at
    the ten interests a client is shown first, where a wrong probability is noticed.
    """
    scores = np.asarray(scorer.scores(data.consumed, data.b2b), dtype=np.float64)
    truth = data.interests.toarray().astype(bool)
    probabilities = scorer.probabilities(scores)
    shown = top_k_indices(scores, K)
    return {
        f"precision@{K}": precision_at_k(scores, truth, K),
        f"recall@{K}": recall_at_k(scores, truth, K),
        f"map@{K}": mean_average_precision_at_k(scores, truth, K),
        "ece": expected_calibration_error(probabilities, truth),
        f"ece@{K}": expected_calibration_error(np.take_along_axis(probabilities, shown, axis=1),
                                               np.take_along_axis(truth, shown, axis=1)),
    }
