"""What the client's methods return: typed answers of each route.

These mirror the services' response schemas rather than import them: importing a service
loads its model code (numpy, scikit-learn, ...), which a client, on another machine or in the
dashboard, neither needs nor may have. ``tests/client`` holds each to the server's OpenAPI
document and to the services' own schemas, so the two cannot drift apart unnoticed.

Every result ignores fields it does not know, so a newer server does not break an older client.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Result(BaseModel):
    """Base of every result: immutable, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Token(Result):
    """A bearer token from ``POST /api/authenticate``."""

    token: str
    expires_in: int = Field(description="Seconds it stays valid")
    token_type: str = "bearer"  # noqa: S105 - the scheme's name, not a secret
    scopes: list[str] = Field(default_factory=list)


class Interest(Result):
    """One interest of a user."""

    id: str
    label: str
    probability: float


class UserInterests(Result):
    """``GET /interests/{user_handle}``: a user and their top interests, best first."""

    user_handle: str
    name: str
    type: Literal["B2B", "B2C"]
    interests: list[Interest]


class UsersSaved(Result):
    """``POST /interests/users``: how many users were added and how many updated."""

    added: int
    updated: int
    users: list[str]


class Recommendation(Result):
    """``POST /api/recommend?detail=true``: titles, best first, and the id feedback quotes."""

    recommendations: list[str]
    id: str
    scores: dict[str, float] = Field(description="Each title's probability of a 4+ rating")


class FeedbackRecorded(Result):
    """``POST /api/recommend/feedback``."""

    status: str
    id: str
    movie: str
    score: int


class MovieGenres(Result):
    """One movie of ``POST /genres/predict``: its five most likely genres, best first."""

    movie_id: str
    genres: list[str]
    scores: dict[str, float] | None = Field(
        default=None, description="Each genre's probability (``include_scores``)")


class TrainingResult(Result):
    """A finished training: ``POST /genres/train``, or a succeeded job's ``result``."""

    service: str
    version: int | None = Field(description="None when the run was not registered")
    metrics: dict[str, float]
    rows: int
    duration_seconds: float
    promoted: bool
    reason: str
    model: str | None = None
    name: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class ResumeCategory(Result):
    """``POST /api/inference?detail=true``: a resume's category and the stored prediction."""

    label: int
    category: str
    probability: float
    probabilities: dict[str, float]
    prediction_id: int
    model_version: int


class StoredPrediction(Result):
    """One row of the resume prediction history (a preview and a hash, never the resume)."""

    prediction_id: int
    created_at: str
    model_version: int
    request_id: str | None = None
    text_sha256: str
    text_preview: str
    text_chars: int
    label: int
    category: str
    probability: float
    latency_ms: float


class PredictionsPage(Result):
    """``GET /api/predictions``: one page of stored resume predictions, newest first."""

    total: int
    limit: int
    offset: int
    items: list[StoredPrediction]


class RankedDescription(Result):
    """One product description ranked for a query."""

    product_description: str
    score: float


class QueryResults(Result):
    """The ranked descriptions of one query."""

    query: str
    results: list[RankedDescription]


class Similarities(Result):
    """``POST /predict``: for each query, the descriptions ranked by meaning."""

    queries: list[str]
    results: list[QueryResults]


class CatalogChange(Result):
    """Products added to or removed from a catalogue, and its size after."""

    catalog: str
    size: int
    upserted: int = 0
    deleted: int = 0


class CatalogHit(Result):
    """One product a catalogue search found."""

    id: str
    description: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    score: float


class CatalogResults(Result):
    """``POST /catalogs/{name}/search``."""

    catalog: str
    query: str
    results: list[CatalogHit]


class GateDecision(Result):
    """Why a version was, or was not, promoted when it was trained."""

    passed: bool
    reason: str


class VersionSummary(Result):
    """One registered version as ``GET /models/{service}`` lists it."""

    version: int
    broken: str | None = Field(default=None, description="Why it cannot be served, if so")
    created_at: str
    metrics: dict[str, float]
    rows: int
    params: dict[str, Any] = Field(default_factory=dict)
    name: str = ""
    gate: GateDecision | None = None
    data_sha256: str = Field(default="", description="sha256 of the training data")
    kind: str = Field(default="", description="The model kind it was trained as")
    reports: list[str] = Field(default_factory=list, description="Its stored report files")
    live: bool = False


class WorkerModel(Result):
    """What one server worker has loaded."""

    loaded: int | None
    last_error: str | None = None


class ServiceModels(Result):
    """``GET /models/{service}``: a service's versions and what is live and loaded."""

    service: str
    primary_metric: str
    model_kinds: list[str] = Field(default_factory=list)
    live: int | None
    loaded: int | None
    last_error: str | None = None
    workers: dict[str, WorkerModel] = Field(default_factory=dict)
    versions: list[VersionSummary]


JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINAL_STATES: tuple[JobState, ...] = ("succeeded", "failed", "cancelled")


class JobStarted(Result):
    """``POST /models/{service}/train``: the job that was queued."""

    job_id: str
    state: JobState
    status_url: str


class Job(Result):
    """A training job: ``GET /jobs/{id}``."""

    job_id: str
    service: str
    state: JobState
    progress: float = Field(description="Percent done")
    step: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    data: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the job reached a final state."""
        return self.state in FINAL_STATES

    def training(self) -> TrainingResult | None:
        """The typed result of a succeeded job (``None`` before, or if it failed)."""
        return TrainingResult.model_validate(self.result) if self.result else None


class Readiness(Result):
    """``GET /readyz``: whether every enabled service has a warmed live model."""

    status: str
    services: dict[str, Any]
    database: str | None = None
    spooled: int | None = None

    @property
    def ready(self) -> bool:
        """Ready to answer (``degraded`` still answers: only the database is away)."""
        return self.status in ("ready", "degraded")
