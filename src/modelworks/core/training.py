"""Training orchestration shared by the CLI and the HTTP train endpoints."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelworks.core.errors import DataError, RegistryError
from modelworks.core.progress import Progress
from modelworks.core.quality import Monitored, reference_sample
from modelworks.core.service import Detailed, Selectable, TrainOptions

if TYPE_CHECKING:
    from modelworks.core.registry import Registry
    from modelworks.core.service import Metrics, Service, TrainingData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of one training run."""

    service: str
    version: int | None
    """``None`` when the run was not registered."""
    metrics: Metrics
    n_rows: int
    duration_seconds: float
    promoted: bool
    reason: str
    model: str | None = None
    name: str = ""
    details: dict[str, Any] = field(default_factory=dict)

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
            "model": self.model,
            "name": self.name,
            "details": self.details,
        }


def choose_model(service: Service, kind: str | None) -> Service:
    """``service`` set to train ``kind``; ``DataError`` naming the choices when it cannot."""
    if kind is None:
        return service
    if not isinstance(service, Selectable):
        raise DataError(f"{service.name} has one model kind; do not pass a model",
                        field="model")
    if kind not in service.model_kinds:
        raise DataError(f"unknown model {kind!r} for {service.name}; choose one of "
                        f"{', '.join(service.model_kinds)}", field="model")
    return service.with_model(kind)


def model_kind(service: Service) -> str | None:
    """The kind a selectable service trains now (``None`` for single-kind services)."""
    return service.model_kind if isinstance(service, Selectable) else None


def train_and_register(
    service: Service, registry: Registry, data: TrainingData, progress: Progress,
    options: TrainOptions | None = None,
) -> TrainResult:
    """Measure a candidate on a held-out split, refit on every row, register, gate, promote.

    The metrics come from a model trained without the held-out rows; the registered model is
    then refit on all rows with the same parameters, the usual practice once the estimate is in.
    With ``options.register`` false the run stops after the measurement.
    """
    options = options or TrainOptions()
    service = choose_model(service, options.model)
    started = time.perf_counter()
    train, holdout = service.split(data)
    progress("fitting on the training split", 0.0)
    candidate = service.fit(train, _scaled(progress, 0.0, 0.4))
    progress("evaluating on the held-out split", 0.4)
    metrics = service.evaluate(candidate, holdout)
    details = (service.evaluation_details(candidate, holdout)
               if isinstance(service, Detailed) else {})
    if not options.register:
        progress("done", 1.0)
        return TrainResult(service=service.name, version=None, metrics=metrics,
                           n_rows=data.n_rows, duration_seconds=time.perf_counter() - started,
                           promoted=False, reason="not registered: evaluation only",
                           model=model_kind(service), name=options.name, details=details)
    progress("refitting on every row", 0.45)
    model = service.fit(data, _scaled(progress, 0.45, 0.9))
    progress("registering", 0.9)
    live_metrics = _live_metrics(registry, service.name)
    decision = service.gate(metrics, live_metrics)
    reports = service.report_files(details) if isinstance(service, Detailed) else {}
    quality = (reference_sample(service.held_out_quality(candidate, holdout))
               if isinstance(service, Monitored) else None)

    def write(folder: Path) -> None:
        model.save(folder)
        for name, content in reports.items():
            (folder / name).write_bytes(content)

    manifest = registry.register(
        service.name,
        write,
        metrics=metrics,
        params=model.get_params(),
        data_sha256=data.sha256,
        n_rows=data.n_rows,
        notes={"gate": {"passed": decision.passed, "reason": decision.reason},
               "holdout_rows": holdout.n_rows, "name": options.name,
               "evaluation": details, "reports": sorted(reports),
               "model": model_kind(service), "quality_reference": quality},
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
        model=model_kind(service),
        name=options.name,
        details=details,
    )


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    def report(step: str, fraction: float) -> None:
        progress(step, start + (end - start) * fraction)

    return report


def _live_metrics(registry: Registry, service: str) -> Metrics | None:
    """The live version's held-out metrics; None when nothing (readable) is live."""
    try:
        live_version = registry.live_version(service)
        return registry.manifest(service, live_version).metrics if live_version else None
    except RegistryError as exc:  # a broken live version is nothing to protect
        log.warning("live version unreadable; gating as if none were live",
                    extra={"service": service, "error": exc.message})
        return None
