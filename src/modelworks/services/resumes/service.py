"""The resumes service: glue between its data, its classifiers and the core's protocol."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelworks.core.encoders.minilm import StaticEmbedder, ensure_minilm_assets
from modelworks.core.gate import gate_on_metric
from modelworks.core.progress import creeping
from modelworks.core.quality import QualitySignal
from modelworks.core.reports import confusion_png
from modelworks.core.service import GateDecision, Metrics, TrainingData, source_bytes
from modelworks.services.resumes.data import (
    Resumes,
    content_sha256,
    holdout_split,
    prepare_default_data,
    read_resumes,
)
from modelworks.services.resumes.model import ResumeModel
from modelworks.services.resumes.models import (
    CLASSIFIERS,
    MiniLMLogistic,
    NaiveBayes,
    ResumeClassifier,
    TfidfLogistic,
    classifier_kinds,
)

if TYPE_CHECKING:
    from fastapi import APIRouter

    from modelworks.core.progress import Progress
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint
    from modelworks.services.resumes.history import PredictionHistory

PRIMARY = "weighted_f1"
CONFUSION_PNG = "confusion_matrix.png"
WARM_UP_TEXT = "Java developer: Spring Boot, Hibernate, REST services, Maven and JUnit."


FIT_SECONDS_PER_RESUME = 0.0015
"""About how long fitting takes per resume here (5,000 resumes: ~7 s), for the progress bar."""


class ResumesService:
    """Resume text to one of 14 job categories; contract ``POST /api/inference``."""

    name = "resumes"
    primary_metric = PRIMARY
    model_kinds = (TfidfLogistic.kind, NaiveBayes.kind, MiniLMLogistic.kind)

    def __init__(self, model_kind: str = TfidfLogistic.kind) -> None:
        self.model_kind = model_kind
        self.gate_tolerance = 0.01
        self._assets_dir: Path | None = None

    def configure(self, settings: Settings) -> None:
        """Remember where encoder assets live and the gate's tolerance."""
        self._assets_dir = settings.assets_dir
        self.gate_tolerance = settings.gate_tolerance

    def with_model(self, kind: str) -> ResumesService:
        """A copy of the service that trains ``kind``."""
        variant = copy.copy(self)
        variant.model_kind = kind
        return variant

    def router(self, context: ServiceContext) -> APIRouter:
        """The HTTP contract."""
        from modelworks.services.resumes.routes import build_router

        return build_router(self, context, _history(context))

    def endpoints(self, context: ServiceContext) -> list[Endpoint]:
        """``POST /api/inference``."""
        from modelworks.services.resumes.routes import build_endpoints

        return build_endpoints(_history(context), context)

    def prepare_data(self, settings: Settings) -> Path:
        """The generated default resumes (1,600, seed 42), generated once."""
        return prepare_default_data(settings.data_dir)

    def generate_data(self, settings: Settings, *, users: int | None = None,
                      seed: int | None = None, seed_users: Path | None = None) -> Path:
        """Regenerate the default resumes; ``users`` is the number of resumes."""
        from modelworks.services.resumes.generator import ResumeConfig

        defaults = ResumeConfig()
        config = ResumeConfig(n_resumes=users if users is not None else defaults.n_resumes,
                              seed=seed if seed is not None else defaults.seed)
        return prepare_default_data(settings.data_dir, config)

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """Validate a ``resume,label`` CSV (an upload or a local file)."""
        raw = source_bytes(source)
        resumes = read_resumes(raw)
        return TrainingData(resumes, len(resumes), content_sha256(raw))

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """The fixed stratified 80/20 split."""
        resumes: Resumes = data.rows
        train, held = holdout_split(resumes)
        return (TrainingData(resumes.subset(train), len(train), data.sha256),
                TrainingData(resumes.subset(held), len(held), data.sha256))

    def fit(self, data: TrainingData, progress: Progress) -> ResumeModel:
        """Fit the chosen classifier, and the Naive Bayes baseline beside it for comparison."""
        resumes: Resumes = data.rows
        # The solver reports nothing until it returns: the bar creeps meanwhile.
        with creeping(progress, f"fitting {self.model_kind}", 0.0, 0.9,
                      expected_seconds=FIT_SECONDS_PER_RESUME * len(resumes)):
            classifier = self._classifier(self.model_kind).fit(resumes.texts, resumes.labels)
        progress("fitting the naive-bayes baseline", 0.9)
        baseline = (classifier if self.model_kind == NaiveBayes.kind
                    else NaiveBayes().fit(resumes.texts, resumes.labels))
        return ResumeModel(classifier, baseline)

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """Weighted F1, macro F1, accuracy, and the baseline's weighted F1 on the same rows."""
        from modelworks.services.resumes.report import headline  # scikit-learn: not in serving

        resumes: Resumes = data.rows
        fitted: ResumeModel = model
        metrics: Metrics = headline(resumes.labels, fitted.predict(resumes.texts))
        baseline = fitted.baseline_predict(resumes.texts)
        if baseline is not None:
            metrics["baseline_weighted_f1"] = headline(resumes.labels, baseline)["weighted_f1"]
        metrics["rows"] = float(len(resumes))
        return metrics

    def evaluation_details(self, model: Any, data: TrainingData) -> dict[str, Any]:
        """Per-category report and confusion matrix on the held-out rows."""
        from modelworks.services.resumes.report import details

        resumes: Resumes = data.rows
        fitted: ResumeModel = model
        return details(resumes.labels, fitted.predict(resumes.texts))

    def quality_signal(self) -> QualitySignal:
        """The probability of the category each resume was given."""
        return QualitySignal("category probability",
                             "Probability of the category each resume was given", _probability)

    def held_out_quality(self, model: Any, holdout: TrainingData) -> list[float]:
        """The given category's probability for each held-out resume."""
        resumes: Resumes = holdout.rows
        fitted: ResumeModel = model
        return [answer.probability for answer in fitted.classify(resumes.texts)]

    def report_files(self, evaluation: dict[str, Any]) -> dict[str, bytes]:
        """The confusion matrix as a PNG beside the model files."""
        return {CONFUSION_PNG: confusion_png(evaluation["confusion_matrix"],
                                             evaluation["categories"],
                                             f"{self.model_kind}: held-out confusion matrix")}

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """No worse than the live model; the first must beat the Naive Bayes baseline.

        A Naive Bayes candidate is its own baseline, so it passes only when nothing is live
        yet: ``>=`` there would let the baseline in, which is what an empty registry wants.
        """
        if live is None and candidate[PRIMARY] == candidate.get("baseline_weighted_f1"):
            return GateDecision(True, "the naive-bayes baseline is the first live model")
        return gate_on_metric(PRIMARY, candidate, live, tolerance=self.gate_tolerance,
                              baseline_key="baseline_weighted_f1",
                              baseline_name="the naive-bayes baseline")

    def load_model(self, folder: Path) -> ResumeModel:
        """Load a registered version of any kind."""
        return ResumeModel.load(folder)

    def warm_up(self, model: Any) -> None:
        """One real prediction."""
        fitted: ResumeModel = model
        fitted.classify([WARM_UP_TEXT])

    def compare(self, data: TrainingData, progress: Progress) -> dict[str, Metrics]:
        """Every kind fitted on the training split, measured on the held-out one."""
        train, held = self.split(data)
        results: dict[str, Metrics] = {}
        for step, kind in enumerate(classifier_kinds()):
            progress(f"fitting {kind}", step / 3)
            resumes: Resumes = train.rows
            classifier = self._classifier(kind).fit(resumes.texts, resumes.labels)
            results[kind] = self.evaluate(ResumeModel(classifier), held)
        progress("done", 1.0)
        return results

    def _classifier(self, kind: str) -> ResumeClassifier:
        if kind not in CLASSIFIERS:
            raise ValueError(f"unknown resume model kind {kind!r}")
        return CLASSIFIERS[kind].create(self._embedder)

    def _embedder(self) -> StaticEmbedder:
        if self._assets_dir is None:
            raise RuntimeError("ResumesService.configure(settings) was not called")
        assets = ensure_minilm_assets(self._assets_dir)
        return StaticEmbedder(np.load(assets.static_path, mmap_mode="r"), assets.tokenizer_path)


def _history(context: ServiceContext) -> PredictionHistory:
    """The prediction table of one server, shared by its routes."""
    from modelworks.services.resumes.history import PredictionHistory
    from modelworks.services.resumes.settings import ResumesSettings

    found: PredictionHistory | None = context.shared.get("history")
    if found is None:
        journaled = context.settings.for_service("resumes", ResumesSettings).history_journal
        found = PredictionHistory(
            context.engine,
            context.settings.home / "journal" / "resumes" if journaled else None)
        context.shared["history"] = found
        # A clean stop writes what is journaled rather than leave it to the next start.
        context.on_stop.append(found.stop)
    return found


def _probability(output: Any) -> list[float]:
    """Logged resume outputs are ``{"category", "probability"}``."""
    return [float(output["probability"])] if isinstance(output, dict) else []
