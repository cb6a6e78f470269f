"""The movies service: glue between its data, its model and the core's protocol."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelworks.core.gate import gate_on_metric
from modelworks.core.service import GateDecision, Metrics, TrainingData
from modelworks.core.splits import holdout_users
from modelworks.services.movies.baselines import (
    GlobalPopularity,
    MeanRating,
    Recommender,
    SegmentPopularity,
)
from modelworks.services.movies.data import (
    MovieLens,
    prepare_default_data,
    read_movielens,
)
from modelworks.services.movies.evaluation import K, cold_start_metrics
from modelworks.services.movies.model import DemographicRecommender

if TYPE_CHECKING:
    from fastapi import APIRouter

    from modelworks.core.progress import Progress
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint

PRIMARY = f"ndcg@{K}"


class MoviesService:
    """Recommends movies from age, gender and occupation; contract ``POST /api/recommend``."""

    name = "movies"
    primary_metric = PRIMARY

    def __init__(self, **model_params: Any) -> None:
        self.model_params = model_params
        self.gate_tolerance = 0.01

    def configure(self, settings: Settings) -> None:
        """Take the gate's tolerance from the settings."""
        self.gate_tolerance = settings.gate_tolerance

    def router(self, context: ServiceContext) -> APIRouter:
        """The HTTP contract."""
        from modelworks.services.movies.routes import build_router

        return build_router(self, context)

    def endpoints(self, context: ServiceContext) -> list[Endpoint]:
        """``POST /api/recommend``."""
        from modelworks.services.movies.routes import build_endpoints

        return build_endpoints()

    def prepare_data(self, settings: Settings) -> Path:
        """MovieLens 100k from the recbole wheel, cached in home."""
        return prepare_default_data(settings.data_dir)

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """A MovieLens folder (either layout), or a zip archive of one."""
        data, digest = read_movielens(source)
        return TrainingData(data, len(data.rating_value), digest)

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """Cold start: 20% of users (seeded shuffle) are held out with all their ratings."""
        movielens: MovieLens = data.rows
        train_users, held_users = holdout_users(movielens.n_users)
        train, held = movielens.subset_users(train_users), movielens.subset_users(held_users)
        return (TrainingData(train, len(train.rating_value), data.sha256),
                TrainingData(held, len(held.rating_value), data.sha256))

    def fit(self, data: TrainingData, progress: Progress) -> DemographicRecommender:
        """Fit the demographic recommender."""
        return DemographicRecommender(**self.model_params).fit(data.rows, progress)

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """Cold-start metrics, and those of the model's own training popularity on the same users.

        The popularity figure lets the gate judge a first model, which has no live one to beat.
        """
        recommender: DemographicRecommender = model
        metrics = cold_start_metrics(recommender, data.rows)
        popularity = GlobalPopularity.from_likes(recommender.popularity_)
        metrics[f"popularity_{PRIMARY}"] = cold_start_metrics(popularity, data.rows)[PRIMARY]
        return metrics

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """Promote unless held-out NDCG@10 falls more than the tolerance below the live model's.

        With no live model, the candidate must beat global popularity on its held-out users.
        """
        return gate_on_metric(PRIMARY, candidate, live, tolerance=self.gate_tolerance,
                              baseline_key=f"popularity_{PRIMARY}",
                              baseline_name="global popularity")

    def compare(self, data: TrainingData, progress: Progress) -> dict[str, Metrics]:
        """Our model and the three baselines, fitted on one split and measured on its holdout."""
        train, held = self.split(data)
        contenders: dict[str, Recommender] = {
            "ours (demographic logistic)": DemographicRecommender(**self.model_params),
            "global popularity": GlobalPopularity(),
            "segment popularity (age group x gender)": SegmentPopularity(),
            "mean rating (shrunk)": MeanRating(),
        }
        results: dict[str, Metrics] = {}
        for done, (name, recommender) in enumerate(contenders.items()):
            progress(f"fitting {name}", done / len(contenders))
            recommender.fit(train.rows)
            results[name] = cold_start_metrics(recommender, held.rows)
        progress("done", 1.0)
        return results

    def load_model(self, folder: Path) -> DemographicRecommender:
        """Load a registered version."""
        return DemographicRecommender.load(folder)

    def warm_up(self, model: Any) -> None:
        """One real recommendation."""
        recommender: DemographicRecommender = model
        recommender.recommend(25, "F", "student", K)
