"""The interests service: glue between its data, its model and the core's protocol."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelworks.core.gate import gate_on_metric
from modelworks.core.quality import QualitySignal
from modelworks.core.service import GateDecision, Metrics, TrainingData
from modelworks.core.splits import holdout_users
from modelworks.services.interests.baselines import OneVsRest, Popularity, Scorer
from modelworks.services.interests.data import (
    InterestsData,
    prepare_default_data,
    read_interests_data,
)
from modelworks.services.interests.evaluation import K, held_out_metrics
from modelworks.services.interests.generator import GeneratorConfig, read_seed_users
from modelworks.services.interests.model import InterestModel

if TYPE_CHECKING:
    from fastapi import APIRouter

    from modelworks.core.progress import Progress
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint
    from modelworks.services.interests.directory import UserDirectory

PRIMARY = f"map@{K}"


class InterestsService:
    """A user's top interests with calibrated probabilities; ``GET /interests/{user_handle}``."""

    name = "interests"
    primary_metric = PRIMARY

    def __init__(self, **model_params: Any) -> None:
        self.model_params = model_params
        self.gate_tolerance = 0.01

    def configure(self, settings: Settings) -> None:
        """Take the gate's tolerance from the settings."""
        self.gate_tolerance = settings.gate_tolerance

    def router(self, context: ServiceContext) -> APIRouter:
        """``POST /interests/users``."""
        from modelworks.services.interests.routes import build_router

        return build_router(self, context, _directory(context))

    def endpoints(self, context: ServiceContext) -> list[Endpoint]:
        """``GET /interests/{user_handle}``."""
        from modelworks.services.interests.routes import build_endpoints

        return build_endpoints(_directory(context), context)

    def root(self) -> dict[str, Any]:
        """The original Flask API's root: its tests wait for it before they start."""
        return {"status": "healthy"}

    def prepare_data(self, settings: Settings) -> Path:
        """The generated default data set (20,000 users, seed 42), generated once."""
        return prepare_default_data(settings.data_dir)

    def generate_data(self, settings: Settings, *, users: int | None = None,
                      seed: int | None = None, seed_users: Path | None = None) -> Path:
        """Generate the default data set with these choices (kept if made with the same)."""
        defaults = GeneratorConfig()
        config = GeneratorConfig(n_users=users if users is not None else defaults.n_users,
                                 seed=seed if seed is not None else defaults.seed)
        seeds = read_seed_users(seed_users) if seed_users is not None else None
        return prepare_default_data(settings.data_dir, config, seeds)

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """A data set folder (interests.csv, titles.csv, users.csv) or a zip archive of one."""
        data, digest = read_interests_data(source)
        return TrainingData(data, data.n_users, digest)

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """20% of users (seeded shuffle) are held out."""
        interests: InterestsData = data.rows
        train_rows, held_rows = holdout_users(interests.n_users)
        return (TrainingData(interests.subset(train_rows), len(train_rows), data.sha256),
                TrainingData(interests.subset(held_rows), len(held_rows), data.sha256))

    def fit(self, data: TrainingData, progress: Progress) -> InterestModel:
        """Fit the calibrated ridge + neighbours model."""
        return InterestModel(**self.model_params).fit(data.rows, progress)

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """Held-out metrics, and popularity's MAP@10 on the same users for the first gate."""
        held: InterestsData = data.rows
        metrics = held_out_metrics(model, held)
        popularity = Popularity().fit_labels(model.pool_interests_)
        metrics[f"popularity_{PRIMARY}"] = held_out_metrics(popularity, held)[PRIMARY]
        return metrics

    def quality_signal(self) -> QualitySignal:
        """The probability of every interest a user is shown."""
        return QualitySignal("interest probability",
                             "Probability of every interest returned", _probabilities)

    def held_out_quality(self, model: Any, holdout: TrainingData) -> list[float]:
        """The probabilities of the interests each held-out user would be shown first."""
        held: InterestsData = holdout.rows
        fitted: InterestModel = model
        probabilities = fitted.probabilities(fitted.scores(held.consumed, held.b2b))
        shown = np.sort(probabilities, axis=1)[:, -SHOWN:]
        return [float(value) for value in shown.ravel()]

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """Promote unless MAP@10 falls more than the tolerance below the live model's.

        With no live model, the candidate must beat popularity on the held-out users.
        """
        return gate_on_metric(PRIMARY, candidate, live, tolerance=self.gate_tolerance,
                              baseline_key=f"popularity_{PRIMARY}", baseline_name="popularity")

    def compare(self, data: TrainingData, progress: Progress) -> dict[str, Metrics]:
        """Ours, popularity and one-vs-rest logistic: fitted on one split, held-out metrics."""
        train, held = self.split(data)
        contenders: dict[str, Any] = {
            "ours (ridge + neighbours)": InterestModel(**self.model_params),
            "popularity": Popularity(),
            "one-vs-rest logistic": OneVsRest(),
        }
        results: dict[str, Metrics] = {}
        for done, (name, contender) in enumerate(contenders.items()):
            progress(f"fitting {name}", done / len(contenders))
            scorer: Scorer = contender.fit(train.rows)
            results[name] = held_out_metrics(scorer, held.rows)
        progress("done", 1.0)
        return results

    def load_model(self, folder: Path) -> InterestModel:
        """Load a registered version."""
        return InterestModel.load(folder)

    def warm_up(self, model: Any) -> None:
        """One real ranking."""
        interests: InterestModel = model
        interests.rank_known(0, 10)


def _directory(context: ServiceContext) -> UserDirectory:
    """The one directory of added users a server's routes share, synced every poll."""
    from modelworks.services.interests.directory import UserDirectory

    if "directory" not in context.shared:
        directory = UserDirectory(context.engine)
        context.periodic.append(directory.sync)
        context.shared["directory"] = directory
    found: UserDirectory = context.shared["directory"]
    return found


SHOWN = 15
"""Interests a user is shown by default (``top_k``), for the held-out reference."""


def _probabilities(output: Any) -> list[float]:
    """Logged interest outputs are ``[{"id", "probability"}, ...]``."""
    return [float(item["probability"]) for item in output if isinstance(item, dict)]
