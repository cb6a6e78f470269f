"""The similarity service: glue between the relevance set, the encoder and the core."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelworks.core.encoders.minilm import ensure_minilm_assets
from modelworks.core.gate import gate_on_metric
from modelworks.core.quality import QualitySignal
from modelworks.core.service import GateDecision, Metrics, TrainingData
from modelworks.core.splits import holdout_users
from modelworks.services.similarity.model import SimilarityModel
from modelworks.services.similarity.ranking import Mode, bm25_scores, hybrid_scores
from modelworks.services.similarity.relevance import (
    RelevanceSet,
    graded_ndcg_at_k,
    packaged_folder,
    read_relevance_source,
)
from modelworks.services.similarity.settings import SimilaritySettings

if TYPE_CHECKING:
    from fastapi import APIRouter

    from modelworks.core.progress import Progress
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint
    from modelworks.services.similarity.cache import EmbeddingCache
    from modelworks.services.similarity.monitoring import SimilarityMetrics

K = 10
PRIMARY = f"ndcg@{K}"
HYBRID_WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
# The hybrid has a weight fitted on the same queries and scores that are not cosines, so it
# must beat the simpler modes by this much to be chosen.
MIN_HYBRID_GAIN = 0.01


class SimilarityService:
    """Semantic product search; contract ``POST /predict``, ``GET /health``."""

    name = "similarity"
    primary_metric = PRIMARY

    def __init__(self) -> None:
        self.gate_tolerance = 0.01
        self._assets_dir: Path | None = None
        self._threads = 0
        self._low_score = 0.3

    def configure(self, settings: Settings) -> None:
        """Remember where encoder assets live and the gate's tolerance."""
        self._assets_dir = settings.assets_dir
        self.gate_tolerance = settings.gate_tolerance
        self._threads = settings.model_threads
        self._low_score = settings.for_service("similarity", SimilaritySettings).low_score

    def quality_signal(self) -> QualitySignal:
        """The best product's score of each query; the share under ``low_score`` is watched."""
        return QualitySignal("top-1 similarity score",
                             "Score of the best product of each query", _top_scores,
                             threshold=self._low_score)

    def held_out_quality(self, model: Any, holdout: TrainingData) -> list[float]:
        """The best score of each held-out query over its candidate products."""
        relevance: RelevanceSet = holdout.rows
        fitted: SimilarityModel = model
        scores = fitted.scores(relevance.queries, relevance.descriptions)
        return [float(value) for value in np.max(scores, axis=1)]

    def router(self, context: ServiceContext) -> APIRouter:
        """``GET /health``, the 405 of ``GET /predict``, and the catalogues."""
        from modelworks.services.similarity.routes import build_router

        cache, monitor = _cache_and_monitor(context)
        return build_router(self, context, cache, monitor)

    def endpoints(self, context: ServiceContext) -> list[Endpoint]:
        """``POST /predict``."""
        from modelworks.services.similarity.routes import build_endpoints

        return build_endpoints(*_cache_and_monitor(context), context)

    def root(self) -> dict[str, Any]:
        """The original Flask API's root, which its own tests check."""
        return {"message": "Welcome to the Sentence Transformer API!"}

    def prepare_data(self, settings: Settings) -> Path:
        """Build the ONNX encoder from the packaged weights; the shipped relevance set."""
        ensure_minilm_assets(settings.assets_dir)
        return packaged_folder()

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """A relevance set: a folder or zip with products.csv and queries.json."""
        relevance, digest = read_relevance_source(source)
        return TrainingData(relevance, len(relevance.queries), digest)

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """Queries, seeded: 80% to choose the mode and weight, 20% to measure them."""
        relevance: RelevanceSet = data.rows
        train, held = holdout_users(len(relevance.queries))
        return (TrainingData(relevance.subset(train), len(train), data.sha256),
                TrainingData(relevance.subset(held), len(held), data.sha256))

    def fit(self, data: TrainingData, progress: Progress) -> SimilarityModel:
        """Choose the hybrid weight, then the best mode, by nDCG@10 on these queries."""
        relevance: RelevanceSet = data.rows
        model = self._model()
        progress("embedding the products and queries", 0.1)
        dense = model.scores(relevance.queries, relevance.descriptions, mode=Mode.DENSE)
        bm25 = bm25_scores(relevance.queries, relevance.descriptions)
        progress("choosing the mode", 0.8)
        by_weight = {weight: graded_ndcg_at_k(hybrid_scores(dense, bm25, weight),
                                              relevance.grades, K) for weight in HYBRID_WEIGHTS}
        weight = max(by_weight, key=lambda w: by_weight[w])
        by_mode = {Mode.DENSE: graded_ndcg_at_k(dense, relevance.grades, K),
                   Mode.BM25: graded_ndcg_at_k(bm25, relevance.grades, K),
                   Mode.HYBRID: by_weight[weight] - MIN_HYBRID_GAIN}
        model.mode = max(by_mode, key=lambda m: by_mode[m])
        model.dense_weight = weight
        return model

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """nDCG@10 of the chosen mode, and of each mode, on these queries."""
        relevance: RelevanceSet = data.rows
        fitted: SimilarityModel = model
        metrics: Metrics = {}
        for mode in Mode:
            scores = fitted.scores(relevance.queries, relevance.descriptions, mode=mode)
            metrics[f"{mode.value}_{PRIMARY}"] = round(
                graded_ndcg_at_k(scores, relevance.grades, K), 4)
        metrics[PRIMARY] = metrics[f"{fitted.mode.value}_{PRIMARY}"]
        metrics["queries"] = float(len(relevance.queries))
        return metrics

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """No worse than the live model; the first must beat BM25 on the held-out queries."""
        return gate_on_metric(PRIMARY, candidate, live, tolerance=self.gate_tolerance,
                              baseline_key=f"{Mode.BM25.value}_{PRIMARY}",
                              baseline_name="BM25")

    def load_model(self, folder: Path) -> SimilarityModel:
        """Load a registered version."""
        return SimilarityModel.load(folder, threads=self._threads)

    def warm_up(self, model: Any) -> None:
        """One real search."""
        fitted: SimilarityModel = model
        fitted.search(["something to cut wood"], ["a hand saw", "a teddy bear"], 1, 0.0)

    def compare(self, data: TrainingData, progress: Progress) -> dict[str, Metrics]:
        """Each mode on the held-out queries, and on every query (reported as ``all``)."""
        train, held = self.split(data)
        model = self.fit(train, progress)
        results: dict[str, Metrics] = {}
        relevance: RelevanceSet = data.rows
        held_rows: RelevanceSet = held.rows
        for mode in Mode:
            label = f"{mode.value}" + (f" (w={model.dense_weight:g})" if mode is Mode.HYBRID
                                       else "")
            results[label] = {
                f"held-out {PRIMARY}": round(graded_ndcg_at_k(model.scores(
                    held_rows.queries, held_rows.descriptions, mode=mode), held_rows.grades, K),
                    4),
                f"all-queries {PRIMARY}": round(graded_ndcg_at_k(model.scores(
                    relevance.queries, relevance.descriptions, mode=mode), relevance.grades, K),
                    4)}
        progress("done", 1.0)
        return results

    def _model(self) -> SimilarityModel:
        if self._assets_dir is None:
            raise RuntimeError("SimilarityService.configure(settings) was not called")
        return SimilarityModel.from_assets(ensure_minilm_assets(self._assets_dir))


def _cache_and_monitor(context: ServiceContext) -> tuple[EmbeddingCache, SimilarityMetrics]:
    """The embedding cache and score metrics a server's similarity routes share."""
    from modelworks.services.similarity.monitoring import SimilarityMetrics
    from modelworks.services.similarity.routes import make_cache

    if "cache" not in context.shared:
        cache = make_cache(context.settings)
        context.shared["cache"] = cache
        context.shared["monitor"] = SimilarityMetrics(context.metrics, cache)
    return context.shared["cache"], context.shared["monitor"]


def _top_scores(output: Any) -> list[float]:
    """A logged similarity output is one query's ``[[description, score], ...]``, best first."""
    return [float(output[0][1])] if output else []
