"""What was asked of the models and how they answered: the prediction log and monitoring.

``GET /predictions`` pages through the prediction log; ``GET /monitoring/{service}`` sums a
recent window of it per minute (predictions per version, p50/p99 latency), adds this server's
error counts from its own metrics, and, for a service that declares a quality signal, that
signal's recent values beside the live version's held-out ones, with a drift verdict (the
verdict and the share under the threshold count every value; the answer carries a random
sample of at most ``REFERENCE_SIZE`` of them, enough to draw their histogram). Both
read stored predictions, so both need the ``history`` scope.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from modelworks.core.live import LiveModel
from modelworks.core.quality import Monitored, drift, reference_sample
from modelworks.core.registry import Registry
from modelworks.sdk.access import HistoryKey
from modelworks.server.db import Prediction
from modelworks.server.models_routes import live_of

MAX_OFFSET = 1_000_000_000
"""Past this an offset is refused (400) before it reaches the database's integer range."""

MAX_WINDOW_ROWS = 20_000
"""The newest rows of a window that monitoring reads (a busy hour is sampled, not loaded)."""


def build_monitoring_router(engine: Engine, registry: Registry,
                            live: dict[str, LiveModel[Any]], routes: dict[str, set[str]],
                            render_metrics: Callable[[], bytes]) -> APIRouter:
    """The two routes; ``routes``: each service's route paths (to count its errors)."""
    router = APIRouter(tags=["monitoring"])
    started = time.monotonic()

    @router.get("/predictions", summary="The prediction log, newest first")
    def predictions(
        key: HistoryKey,
        service: Annotated[str | None, Query(description="Only this service's")] = None,
        version: Annotated[int | None, Query(ge=1, description="Only this version's")] = None,
        since: Annotated[datetime | None, Query(description="From (ISO 8601)")] = None,
        until: Annotated[datetime | None, Query(description="Before (ISO 8601)")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> dict[str, Any]:
        if service is not None:
            live_of(live, service)
        query = select(Prediction).order_by(Prediction.id.desc()).limit(limit).offset(offset)
        if service is not None:
            query = query.where(Prediction.service == service)
        if version is not None:
            query = query.where(Prediction.model_version == version)
        if since is not None:
            query = query.where(Prediction.created_at >= _utc(since))
        if until is not None:
            query = query.where(Prediction.created_at < _utc(until))
        with engine.connect() as connection:
            rows = connection.execute(query.with_only_columns(*Prediction.__table__.columns))
            found = [{"id": row.id, "created_at": _utc(row.created_at).isoformat(),
                      "service": row.service, "model_version": row.model_version,
                      "request_id": row.request_id, "input": orjson.loads(row.input),
                      "output": orjson.loads(row.output), "latency_ms": row.latency_ms}
                     for row in rows]
        return {"predictions": found, "limit": limit, "offset": offset}

    @router.get("/monitoring/{service}",
                summary="Rate, latency, errors, versions and the quality signal of a window")
    def monitoring(service: str, key: HistoryKey,
                   minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 60
                   ) -> dict[str, Any]:
        model = live_of(live, service)
        since = datetime.now(UTC) - timedelta(minutes=minutes)
        query = (select(Prediction.created_at, Prediction.model_version, Prediction.output,
                        Prediction.latency_ms)
                 .where(Prediction.service == service, Prediction.created_at >= since)
                 .order_by(Prediction.id.desc()).limit(MAX_WINDOW_ROWS))
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        latencies = np.array([row.latency_ms for row in rows], dtype=np.float64)
        live_version = registry.live_version(service)
        answer: dict[str, Any] = {
            "service": service, "minutes": minutes, "live_version": live_version,
            "uptime_seconds": round(time.monotonic() - started, 1),
            "requests": {"total": len(rows), "per_second": round(len(rows) / (minutes * 60), 4),
                         **_percentiles(latencies)},
            "errors": _errors(render_metrics(), routes.get(service, set())),
            "timeline": _timeline(rows),
            "quality": None,
        }
        if isinstance(model.service, Monitored):
            answer["quality"] = _quality(model.service, rows, registry, service, live_version)
        return answer

    return router


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored as UTC); a client may send a naive one too.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _percentiles(latencies: np.ndarray[Any, Any]) -> dict[str, float | None]:
    if latencies.size == 0:
        return {"p50_ms": None, "p99_ms": None}
    p50, p99 = np.percentile(latencies, [50, 99])
    return {"p50_ms": round(float(p50), 3), "p99_ms": round(float(p99), 3)}


def _timeline(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Predictions and latency per minute and version, oldest first."""
    buckets: dict[tuple[datetime, int], list[float]] = {}
    for row in rows:
        minute = _utc(row.created_at).replace(second=0, microsecond=0)
        buckets.setdefault((minute, row.model_version), []).append(row.latency_ms)
    return [{"minute": minute.isoformat(), "version": version, "predictions": len(values),
             **_percentiles(np.array(values))}
            for (minute, version), values in sorted(buckets.items())]


def _errors(exposition: bytes, paths: set[str]) -> dict[str, int]:
    """Answers of 4xx and 5xx on the service's routes since this server started."""
    counts = {"4xx": 0, "5xx": 0}
    for family in text_string_to_metric_families(exposition.decode()):
        if family.name != "modelworks_http_requests":
            continue
        for sample in family.samples:
            status = sample.labels.get("status", "")
            if (sample.name.endswith("_total") and sample.labels.get("route") in paths
                    and status[:1] in ("4", "5")):
                counts[f"{status[0]}xx"] += int(sample.value)
    return counts


def _quality(service: Monitored, rows: Sequence[Any], registry: Registry, name: str,
             live_version: int | None) -> dict[str, Any]:
    signal = service.quality_signal()
    values = [value for row in rows for value in signal.values_of(orjson.loads(row.output))]
    reference = None
    if live_version is not None:
        stored = registry.manifest(name, live_version).notes.get("quality_reference")
        reference = [float(value) for value in stored] if isinstance(stored, list) else None
    compared = drift(values, reference) if reference is not None else None
    below = (round(sum(value < signal.threshold for value in values) / len(values), 4)
             if signal.threshold is not None and values else None)
    return {"name": signal.name, "description": signal.description,
            "threshold": signal.threshold, "values": reference_sample(values),
            "share_below": below, "reference": reference,
            "drift": None if compared is None else {
                "statistic": compared.statistic, "p_value": compared.p_value,
                "warning": compared.warning, "message": compared.message}}
