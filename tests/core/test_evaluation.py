from __future__ import annotations

import numpy as np
import pytest

from modelworks.core.evaluation import (
    average_precision_at_k,
    mean_average_precision_at_k,
    recall_at_k,
)


def test_average_precision_matches_the_kaggle_definition() -> None:
    assert average_precision_at_k([1, 2, 3], {1}, 5) == 1.0
    assert average_precision_at_k([2, 1, 3], {1}, 5) == 0.5
    assert average_precision_at_k([1, 9, 2], {1, 2}, 5) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision_at_k([9, 8], {1}, 5) == 0.0
    assert average_precision_at_k([9, 8], set(), 5) == 1.0
    assert average_precision_at_k([1, 1, 1], {1, 2}, 5) == 0.5  # repeats earn nothing


def test_map_ranks_by_score_and_recall_counts_hits() -> None:
    scores = np.array([[0.9, 0.1, 0.5], [0.1, 0.2, 0.3]])
    truth = np.array([[False, False, True], [True, False, False]])
    assert mean_average_precision_at_k(scores, truth, 2) == pytest.approx((0.5 + 0.0) / 2)
    assert recall_at_k(scores, truth, 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="zero rows"):
        mean_average_precision_at_k(scores[:0], truth[:0], 2)
