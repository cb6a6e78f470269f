"""The one small interface every service implements, and what the core hands to it.

A service is a folder under ``services/`` exposing an object that satisfies :class:`Service`.
The core finds it through the ``modelworks.services`` entry-point group and never imports it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from modelworks.core.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import APIRouter
    from prometheus_client import CollectorRegistry
    from sqlalchemy import Engine

    from modelworks.core.live import LiveModel
    from modelworks.core.progress import Progress
    from modelworks.core.settings import Settings
    from modelworks.sdk.endpoints import Endpoint

Metrics = dict[str, float]


class Model(Protocol):
    """A fitted model: plain arrays and JSON on disk, never pickle."""

    def save(self, folder: Path) -> None:
        """Write every file the model needs into ``folder`` (which exists and is empty)."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, recorded in the registry manifest."""


@dataclass(frozen=True)
class TrainingData:
    """Validated training rows of one service plus what the registry records about them."""

    rows: Any
    n_rows: int
    sha256: str


@dataclass(frozen=True)
class TrainOptions:
    """Choices a person makes when starting a training run (CLI, jobs API, dashboard)."""

    model: str | None = None
    """Model kind, for services offering several (``Selectable``); ``None``: the default."""
    name: str = ""
    """A free label recorded with the version, e.g. ``tfidf C=30 after data fix``."""
    register: bool = True
    """``False``: fit and evaluate only; nothing is written to the registry."""


@dataclass(frozen=True)
class GateDecision:
    """Whether a freshly trained candidate may become live, and why."""

    passed: bool
    reason: str


class PredictionSink(Protocol):
    """Where served predictions are recorded (the server's prediction log)."""

    def record(
        self,
        *,
        service: str,
        model_version: int,
        request_id: str,
        inputs: list[Any],
        outputs: list[Any],
        latency_ms: float,
    ) -> None:
        """Queue one record per (input, output) pair; never blocks on the database."""

    def count(self, service: str, items: int) -> None:
        """Count predictions kept elsewhere (or not at all) in the metrics only."""


class FeedbackSink(Protocol):
    """Clients' ratings of what one service served (the data for its next model)."""

    def served(self, request_id: str) -> bool:
        """Whether this service answered a prediction with ``request_id`` (reads the log)."""

    def record(self, request_id: str, item: str, score: int, key_id: str) -> None:
        """Store a rating of ``item`` in the answer to ``request_id``."""


@dataclass
class ServiceContext:
    """Everything the core lends a service's routes."""

    settings: Settings
    live: LiveModel[Any]
    predictions: PredictionSink
    engine: Engine
    train_job: Callable[[bytes, TrainOptions], Awaitable[dict[str, Any]]]
    """Train on uploaded data the way every training runs: as a job, in a process of its own,
    one at a time per service, queued while the machine is busy; waits for it and returns
    ``TrainResult.to_json()``. The data should have been validated first (a 400 now beats a
    failed job)."""
    feedback: FeedbackSink | None = None
    """Ratings of this service's answers, kept by the server."""
    periodic: list[Callable[[], None]] = field(default_factory=list)
    """Callables the server runs once at start and then every ``live_poll_seconds``, e.g. to
    pick up what other workers wrote to the database. Append to it from ``router``."""
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    """Callables the server runs once as it stops, after its last request (e.g. to write
    what a service still holds)."""
    metrics: CollectorRegistry | None = None
    """The server's Prometheus registry, for a service's own metrics."""
    shared: dict[str, Any] = field(default_factory=dict)
    """Objects a service's routes and endpoints share in one server (a cache, a directory)."""


ModelT = TypeVar("ModelT", bound=Model)


def source_bytes(source: bytes | Path) -> bytes:
    """The bytes of training data given as an upload or as a local file."""
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except IsADirectoryError as exc:
        raise DataError(f"{source} is a folder; this service trains on one file") from exc
    except OSError as exc:
        raise DataError(f"cannot read {source}: {exc.strerror}") from exc


class Service(Protocol):
    """The contract between the core and one ML service."""

    name: str
    """Short name: URL prefix of its admin routes, registry folder, metrics label."""

    primary_metric: str
    """The metric the gate and the dashboards look at first."""

    def configure(self, settings: Settings) -> None:
        """Receive the settings once, before any other call; must stay cheap."""

    def router(self, context: ServiceContext) -> APIRouter:
        """The service's hand-written routes (everything but its prediction endpoints)."""

    def endpoints(self, context: ServiceContext) -> Sequence[Endpoint]:
        """Its prediction endpoints, declared; the core mounts them on the prediction path."""

    def prepare_data(self, settings: Settings) -> Path:
        """Fetch or generate the default training data offline, cache it and return its path."""

    def read_training_data(self, source: bytes | Path) -> TrainingData:
        """Validate training data (an upload's bytes or a local path); raise ``DataError``."""

    def split(self, data: TrainingData) -> tuple[TrainingData, TrainingData]:
        """A deterministic (train, held-out) split used to measure a candidate."""

    def fit(self, data: TrainingData, progress: Progress) -> Model:
        """Train a model on ``data``."""

    def evaluate(self, model: Any, data: TrainingData) -> Metrics:
        """Quality metrics of ``model`` on labelled ``data``."""

    def gate(self, candidate: Metrics, live: Metrics | None) -> GateDecision:
        """Decide whether the candidate may replace the live model automatically."""

    def load_model(self, folder: Path) -> Model:
        """Load a model saved by ``Model.save`` (the registry has verified its files)."""

    def warm_up(self, model: Any) -> None:
        """Run one real prediction so the first client call is not the slow one."""


@runtime_checkable
class Comparable(Protocol):
    """A service that can measure its model against baselines on one split in one run."""

    def compare(self, data: TrainingData, progress: Progress) -> dict[str, Metrics]:
        """Fit our model and every baseline on the training split; metrics on the held-out one."""


@runtime_checkable
class Generated(Protocol):
    """A service whose default data is generated, so its size and seed can be chosen."""

    def generate_data(self, settings: Settings, *, users: int | None = None,
                      seed: int | None = None, seed_users: Path | None = None) -> Path:
        """(Re)generate the default data with these choices (defaults where ``None``)."""


@runtime_checkable
class Selectable(Protocol):
    """A service offering several model kinds; the person training picks one."""

    model_kinds: tuple[str, ...]
    """Every kind, the default first."""
    model_kind: str
    """The kind ``fit`` trains now."""

    def with_model(self, kind: str) -> Service:
        """The same service training ``kind`` (a cheap copy; nothing loads)."""


@runtime_checkable
class Detailed(Protocol):
    """A service whose evaluation has more to show than numbers (reports, matrices)."""

    def evaluation_details(self, model: Any, data: TrainingData) -> dict[str, Any]:
        """JSON-ready details of ``model`` on labelled ``data``, kept with the version."""

    def report_files(self, details: dict[str, Any]) -> dict[str, bytes]:
        """Files drawn from the details (e.g. a confusion-matrix PNG), stored with the version."""


@runtime_checkable
class Rooted(Protocol):
    """A service whose original system answers ``GET /`` with something its clients check."""

    def root(self) -> dict[str, Any]:
        """What ``GET /`` answers when this is the only enabled service."""
