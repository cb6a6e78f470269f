"""The interests model: beats its baselines, calibrated, one answer on every path, round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelworks.core.progress import no_progress
from modelworks.core.service import TrainingData
from modelworks.core.splits import holdout_users
from modelworks.services.interests import InterestsService
from modelworks.services.interests.data import InterestsData
from modelworks.services.interests.model import InterestModel


@pytest.fixture(scope="module")
def split(interests_data: InterestsData) -> tuple[InterestsData, InterestsData]:
    train, held = holdout_users(interests_data.n_users)
    return interests_data.subset(train), interests_data.subset(held)


@pytest.fixture(scope="module")
def model(split: tuple[InterestsData, InterestsData]) -> InterestModel:
    return InterestModel().fit(split[0])


def test_ours_beats_both_baselines_and_is_calibrated(interests_data: InterestsData) -> None:
    table = InterestsService().compare(TrainingData(interests_data, interests_data.n_users, ""),
                                       no_progress)
    ours = table["ours (ridge + neighbours)"]
    for baseline in ("popularity", "one-vs-rest logistic"):
        for metric in ("precision@10", "recall@10", "map@10"):
            assert ours[metric] > table[baseline][metric], (baseline, metric)
    assert ours["ece"] <= 0.05
    assert ours["ece@10"] <= 0.05


def test_single_user_ranking_matches_the_batch_scores(
        model: InterestModel, split: tuple[InterestsData, InterestsData]) -> None:
    held = split[1]
    scores = model.scores(held.consumed[:40], held.b2b[:40])
    for user in range(40):
        title_ids = held.catalogue.title_ids[held.consumed[user].indices]
        ranked = model.rank(title_ids, bool(held.b2b[user]), 15)
        expected = np.sort(scores[user])[::-1][:15]
        np.testing.assert_allclose(scores[user][ranked.columns], expected, rtol=1e-5, atol=1e-6)
        # float32 sums in another order: equal to a few parts in a million
        np.testing.assert_allclose(ranked.probabilities,
                                   model.probabilities(scores[user][ranked.columns]), atol=1e-4)
        assert (np.diff(ranked.probabilities) <= 1e-12).all()


def test_known_users_never_count_as_their_own_neighbour(
        model: InterestModel, split: tuple[InterestsData, InterestsData]) -> None:
    train = split[0]
    for row in (0, 7, 123):
        title_ids = train.catalogue.title_ids[train.consumed[row].indices]
        stored = model.rank_known(row, 20)
        fresh = model.rank(title_ids, bool(train.b2b[row]), 20, pool_row=row)
        np.testing.assert_allclose(stored.probabilities, fresh.probabilities, atol=1e-5)
        as_stranger = model.scores(train.consumed[row:row + 1], train.b2b[row:row + 1])[0]
        excluded = model.scores(train.consumed[row:row + 1], train.b2b[row:row + 1],
                                np.array([row]))[0]
        assert not np.allclose(as_stranger, excluded)  # its own labels would have leaked in


def test_unknown_titles_are_ignored_and_an_empty_history_still_ranks(
        model: InterestModel) -> None:
    some = model.title_ids_[:5]
    with_noise = np.concatenate([some, [10**9, 10**9 + 1]])
    np.testing.assert_array_equal(model.rank(with_noise, True, 10).columns,
                                  model.rank(some, True, 10).columns)
    np.testing.assert_array_equal(model.unknown_titles(with_noise), [10**9, 10**9 + 1])
    empty = model.rank(np.zeros(0, dtype=np.int64), False, 10)
    assert len(empty.columns) == 10
    assert (empty.probabilities >= 0).all()


def test_save_and_load_give_the_same_answers(model: InterestModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    loaded = InterestModel.load(tmp_path)
    assert loaded.get_params() == model.get_params()
    assert loaded.handles_ == model.handles_
    for row in (0, 50):
        np.testing.assert_array_equal(loaded.rank_known(row, 10).columns,
                                      model.rank_known(row, 10).columns)
    ids = model.title_ids_[[3, 30, 300]]
    np.testing.assert_allclose(loaded.rank(ids, True, 10).probabilities,
                               model.rank(ids, True, 10).probabilities)
    assert not list(tmp_path.glob("*.pkl"))
    assert not list(tmp_path.glob("*.joblib"))
