from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets, StaticEmbedder
from modelworks.core.evaluation import mean_average_precision_at_k
from modelworks.services.genres.data import read_movies, read_training_movies
from modelworks.services.genres.model import GenreClassifier
from tests.conftest import movies_csv


@pytest.fixture(scope="module")
def fitted(minilm_assets: MiniLMAssets, small_training_csv: bytes) -> GenreClassifier:
    movies = read_training_movies(small_training_csv)
    embedder = StaticEmbedder(np.load(minilm_assets.static_path), minilm_assets.tokenizer_path)
    return GenreClassifier(embedder).fit(movies.synopses, movies.years, movies.genres)


def test_fit_follows_the_estimator_contract(fitted: GenreClassifier) -> None:
    assert fitted.labels_ == sorted(fitted.labels_)
    assert len(fitted.view_models_) == 2
    assert fitted.stack_model_.coef_.shape[0] == len(fitted.labels_)
    assert fitted.get_params()["folds"] == 3


def test_it_ranks_held_out_movies_far_better_than_popularity(
    fitted: GenreClassifier, small_test_rows: list[dict[str, str]]
) -> None:
    movies = read_movies(movies_csv(small_test_rows), with_genres=True)
    scores = fitted.predict_proba(movies.synopses, movies.years)
    truth = np.array([[label in g for label in fitted.labels_] for g in movies.genres])
    prior = np.tile(fitted.genre_frequency_, (len(movies), 1))
    ours = mean_average_precision_at_k(scores, truth, 5)
    baseline = mean_average_precision_at_k(prior, truth, 5)
    assert ours > baseline + 0.05
    assert ((scores >= 0) & (scores <= 1)).all()


def test_rank_gives_five_distinct_genres_best_first(fitted: GenreClassifier) -> None:
    ranking = fitted.rank(["A gunslinger rides into a frontier town.", "x"], [1955, None], 5)
    for row in ranking:
        genres = [g for g, _ in row]
        probabilities = [p for _, p in row]
        assert len(set(genres)) == 5
        assert probabilities == sorted(probabilities, reverse=True)
    assert ranking[0][0][0] == "Western"


def test_save_and_load_reproduce_predictions_without_pickle(
    fitted: GenreClassifier, tmp_path: Path
) -> None:
    fitted.save(tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    restored = GenreClassifier.load(tmp_path)
    texts = ["Two lovers meet in Paris.", "Aliens invade a space station."]
    np.testing.assert_allclose(restored.predict_proba(texts, [1990, None]),
                               fitted.predict_proba(texts, [1990, None]))
