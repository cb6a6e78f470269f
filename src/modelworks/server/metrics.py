"""Prometheus metrics of one server (own registry, so several apps can live in one process).

With several workers (``serve --workers``), every worker writes its values into Prometheus's
multiprocess files and ``render`` sums them, so any worker answers a scrape for all of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from modelworks.server.spool import spooled_records

log = logging.getLogger(__name__)


class JobStatesCollector(Collector):
    """``modelworks_jobs{state}``: jobs per state, read from the database at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        """One gauge family; nothing when the database cannot be read."""
        try:
            counts = self._counts()
        except Exception:  # a scrape must not fail because the database is away
            log.exception("cannot count jobs for /metrics")
            return
        family = GaugeMetricFamily("modelworks_jobs", "Training jobs by state.",
                                   labels=["state"])
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family


class SpoolCollector(Collector):
    """``modelworks_prediction_spool_records``: records every worker holds for the database."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def collect(self) -> Iterator[Metric]:
        """One gauge, counted from the spool files at scrape time."""
        yield GaugeMetricFamily("modelworks_prediction_spool_records",
                                "Prediction records waiting in the local spool for the "
                                "database.", value=spooled_records(self._folder))


class ServerMetrics:
    """Request counts and latencies per route and status, model versions, predictions."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Collectors computed at scrape time from shared state (the database), so any one
        # worker's answer is right for all of them; outside the multiprocess files.
        self.scraped = CollectorRegistry()
        self.requests = Counter("modelworks_http_requests", "HTTP requests served.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "modelworks_http_request_duration_seconds", "HTTP request latency.",
            ["method", "route"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                     60, 180),
        )
        # One series per live worker (a ``pid`` label in multi-worker mode), so a swap that
        # some worker has not picked up yet is visible.
        self.model_version = Gauge("modelworks_model_version",
                                   "Version of the live model each service serves.",
                                   ["service"], registry=self.registry,
                                   multiprocess_mode="liveall")
        self.predictions = Counter("modelworks_predictions", "Predictions served (items).",
                                   ["service"], registry=self.registry)
        self.batch_size = Histogram("modelworks_batch_size",
                                    "Requests per model run of a batching endpoint.",
                                    ["service"], registry=self.registry,
                                    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        # ``labels()`` takes a lock and builds a key on every call (8 us of a request's
        # ~600); the series of one (method, route, status) are looked up once.
        series = self._series.get((method, route, status))
        if series is None:
            series = (self.requests.labels(method, route, str(status)),
                      self.latency.labels(method, route))
            self._series[(method, route, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    def render(self) -> bytes:
        """The text exposition format (every worker's values in multi-worker mode)."""
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        scraped = bytes(generate_latest(self.scraped))
        if not folder:
            return bytes(generate_latest(self.registry)) + scraped
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=folder)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(merged)) + scraped
