from __future__ import annotations

import numpy as np
import pytest

from modelworks.core.evaluation import (
    average_precision_at_k,
    expected_calibration_error,
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


def test_calibration_error_is_small_for_honest_and_large_for_overconfident_probabilities(
) -> None:
    rng = np.random.default_rng(0)
    honest = rng.random((2000, 50))
    truth = rng.random((2000, 50)) < honest  # each pair comes true with its stated chance
    assert expected_calibration_error(honest, truth) < 0.01
    overconfident = np.where(honest > 0.5, 0.99, 0.01)
    assert expected_calibration_error(overconfident, truth) > 0.2
    # One bin by hand: 0.8 stated four times, true twice -> gap 0.3 over all four pairs.
    assert expected_calibration_error(np.full(4, 0.8), np.array([1, 1, 0, 0], bool)) == (
        pytest.approx(0.3))
    with pytest.raises(ValueError, match="zero predictions"):
        expected_calibration_error(np.zeros(0), np.zeros(0, bool))
