"""The demographic recommender, its baselines and the cold-start protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelworks.core.progress import no_progress
from modelworks.core.splits import holdout_users
from modelworks.services.movies import MoviesService
from modelworks.services.movies.baselines import GlobalPopularity, SegmentPopularity
from modelworks.services.movies.data import MovieLens, read_movielens
from modelworks.services.movies.evaluation import cold_start_metrics
from modelworks.services.movies.model import DemographicRecommender


@pytest.fixture(scope="module")
def split(movielens_dir: Path) -> tuple[MovieLens, MovieLens]:
    data = read_movielens(movielens_dir)[0]
    train, held = holdout_users(data.n_users)
    return data.subset_users(train), data.subset_users(held)


@pytest.fixture(scope="module")
def fitted(split: tuple[MovieLens, MovieLens]) -> DemographicRecommender:
    return DemographicRecommender().fit(split[0])


def test_learned_state_and_params(fitted: DemographicRecommender,
                                  split: tuple[MovieLens, MovieLens]) -> None:
    assert fitted.get_params() == {"l2": 10.0, "age_width": 5.0, "max_iter": 100}
    assert fitted.bias_.shape == (split[0].n_items,)
    assert fitted.weights_.shape[1] == split[0].n_items
    assert fitted.n_users_ == split[0].n_users


def test_recommendations_differ_across_demographics(fitted: DemographicRecommender) -> None:
    student = [t for t, _ in fitted.recommend(25, "F", "student", 10)]
    retired = [t for t, _ in fitted.recommend(60, "M", "retired", 10)]
    assert len(student) == len(set(student)) == 10
    assert student != retired
    assert len(set(student) ^ set(retired)) >= 4


def test_other_gender_averages_male_and_female(fitted: DemographicRecommender) -> None:
    scores = fitted.scores([30, 30, 30], ["M", "F", "O"], ["engineer"] * 3)
    np.testing.assert_allclose(scores[2], (scores[0] + scores[1]) / 2, rtol=1e-5, atol=1e-5)
    other = fitted.recommend(30, "O", "engineer", 10)
    assert [p for _, p in other] == sorted((p for _, p in other), reverse=True)
    assert all(0 < p < 1 for _, p in other)


def test_beats_the_baselines_on_the_held_out_users(fitted: DemographicRecommender,
                                                   split: tuple[MovieLens, MovieLens]) -> None:
    train, held = split
    ours = cold_start_metrics(fitted, held)
    popularity = cold_start_metrics(GlobalPopularity().fit(train), held)
    segments = cold_start_metrics(SegmentPopularity().fit(train), held)
    assert ours["ndcg@10"] > max(popularity["ndcg@10"], segments["ndcg@10"])
    assert ours["coverage@10"] > popularity["coverage@10"]
    assert ours["users"] == 189


def test_save_and_load_round_trip(fitted: DemographicRecommender, tmp_path: Path) -> None:
    fitted.save(tmp_path)
    loaded = DemographicRecommender.load(tmp_path)
    assert loaded.recommend(41, "F", "lawyer", 20) == fitted.recommend(41, "F", "lawyer", 20)
    assert loaded.knows("Toy Story")
    assert not loaded.knows("toy story")


def test_compare_runs_ours_and_three_baselines(movielens_dir: Path) -> None:
    service = MoviesService()
    table = service.compare(service.read_training_data(movielens_dir), no_progress)
    assert len(table) == 4
    ours = table["ours (demographic logistic)"]["ndcg@10"]
    baselines = [m["ndcg@10"] for name, m in table.items() if not name.startswith("ours")]
    assert ours > max(baselines)
    assert table["mean rating (shrunk)"]["ndcg@10"] < min(baselines[:2])


def test_gate_refuses_a_worse_model() -> None:
    service = MoviesService()
    service.gate_tolerance = 0.01
    live = {"ndcg@10": 0.42}
    assert service.gate({"ndcg@10": 0.415}, live).passed
    refused = service.gate({"ndcg@10": 0.40}, live)
    assert not refused.passed
    assert "below the live model's 0.4200" in refused.reason
    first = service.gate({"ndcg@10": 0.38, "popularity_ndcg@10": 0.39}, None)
    assert not first.passed
    assert "global popularity" in first.reason
