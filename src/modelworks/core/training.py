"""Training orchestration shared by the CLI and the HTTP train endpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelworks.core.progress import Progress

if TYPE_CHECKING:
    from modelworks.core.registry import Registry
    from modelworks.core.service import Metrics, Service, TrainingData


@dataclass(frozen=True)
class TrainResult:
    """Outcome of one training run."""

    service: str
    version: int
    metrics: Metrics
    n_rows: int
    duration_seconds: float
    promoted: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The JSON body the train endpoints answer with."""
        return {
            "service": self.service,
            "version": self.version,
            "metrics": self.metrics,
            "rows": self.n_rows,
            "duration_seconds": round(self.duration_seconds, 3),
            "promoted": self.promoted,
            "reason": self.reason,
        }


def train_and_register(
    service: Service, registry: Registry, data: TrainingData, progress: Progress
) -> TrainResult:
    """Measure a candidate on a held-out split, refit on every row, register, gate, promote.

    The metrics come from a model trained without the held-out rows; the registered model is
    then refit on all rows with the same parameters, the usual practice once the estimate is in.
    """
    started = time.perf_counter()
    train, holdout = service.split(data)
    progress("fitting on the training split", 0.0)
    candidate = service.fit(train, _scaled(progress, 0.0, 0.4))
    progress("evaluating on the held-out split", 0.4)
    metrics = service.evaluate(candidate, holdout)
    progress("refitting on every row", 0.45)
    model = service.fit(data, _scaled(progress, 0.45, 0.9))
    progress("registering", 0.9)
    live_version = registry.live_version(service.name)
    live_metrics = registry.manifest(service.name, live_version).metrics if live_version else None
    decision = service.gate(metrics, live_metrics)
    manifest = registry.register(
        service.name,
        model.save,
        metrics=metrics,
        params=model.get_params(),
        data_sha256=data.sha256,
        n_rows=data.n_rows,
        notes={"gate": {"passed": decision.passed, "reason": decision.reason},
               "holdout_rows": holdout.n_rows},
    )
    if decision.passed:
        registry.promote(service.name, manifest.version)
    progress("done", 1.0)
    return TrainResult(
        service=service.name,
        version=manifest.version,
        metrics=metrics,
        n_rows=data.n_rows,
        duration_seconds=time.perf_counter() - started,
        promoted=decision.passed,
        reason=decision.reason,
    )


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    def report(step: str, fraction: float) -> None:
        progress(step, start + (end - start) * fraction)

    return report
