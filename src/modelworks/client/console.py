"""The console's routes and their typed answers, mixed into ``modelworks.client.Client``.

Who is calling, versions in detail and their reports, rollback, the prediction log,
monitoring and API keys: what the dashboard is built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from modelworks.client.results import Result, ServiceModels, VersionSummary

if TYPE_CHECKING:
    from modelworks.client._http import Transport


class Identity(Result):
    """``GET /whoami``: the calling key."""

    key_id: str | None
    name: str
    scopes: list[str]
    auth: str = Field(description="The server's auth mode: required, contract or off")

    def allows(self, scope: str) -> bool:
        """Whether this key holds ``scope`` (``admin`` holds them all)."""
        return scope in self.scopes or "admin" in self.scopes


class VersionDetail(VersionSummary):
    """``GET /models/{service}/versions/{version}``: everything stored with a version."""

    service: str
    libraries: dict[str, str] = Field(default_factory=dict)
    holdout_rows: int | None = None
    evaluation: dict[str, Any] = Field(default_factory=dict)


class LoggedPrediction(Result):
    """One record of the prediction log."""

    id: int
    created_at: str
    service: str
    model_version: int
    request_id: str
    input: Any
    output: Any
    latency_ms: float


class PredictionPage(Result):
    """``GET /predictions``: a page of the prediction log, newest first."""

    predictions: list[LoggedPrediction]
    limit: int
    offset: int


class RequestStats(Result):
    """Requests of a monitoring window."""

    total: int
    per_second: float
    p50_ms: float | None
    p99_ms: float | None


class MinuteStats(Result):
    """Predictions of one version in one minute."""

    minute: str
    version: int
    predictions: int
    p50_ms: float | None
    p99_ms: float | None


class Drift(Result):
    """Recent quality values against the live version's held-out ones."""

    statistic: float
    p_value: float
    warning: bool
    message: str


class Quality(Result):
    """A service's quality signal over a window."""

    name: str
    description: str
    threshold: float | None
    values: list[float]
    share_below: float | None
    reference: list[float] | None
    drift: Drift | None


class Monitoring(Result):
    """``GET /monitoring/{service}``."""

    service: str
    minutes: int
    live_version: int | None
    uptime_seconds: float
    requests: RequestStats
    errors: dict[str, int]
    timeline: list[MinuteStats]
    quality: Quality | None


class KeyInfo(Result):
    """One API key as ``GET /keys`` lists it (never its secret)."""

    key_id: str
    name: str
    scopes: list[str]
    created_at: str
    revoked_at: str | None = None


class NewKey(Result):
    """A key just made or rotated; ``key`` is its secret, shown this once."""

    key_id: str
    name: str
    scopes: list[str]
    key: str


class ConsoleRoutes:
    """Mixed into ``Client``."""

    _http: Transport

    def whoami(self) -> Identity:
        """``GET /whoami``: this client's key, its scopes and the server's auth mode."""
        return Identity.model_validate(self._http.json("GET", "/whoami"))

    def version(self, service: str, version: int) -> VersionDetail:
        """``GET /models/{service}/versions/{version}`` (``train`` scope)."""
        return VersionDetail.model_validate(
            self._http.json("GET", f"/models/{service}/versions/{version}"))

    def report(self, service: str, version: int, name: str) -> bytes:
        """A report file a version stored, e.g. ``confusion_matrix.png``."""
        response = self._http.send("GET", f"/models/{service}/versions/{version}/reports/{name}")
        return response.content

    def rollback(self, service: str) -> ServiceModels:
        """``POST /models/{service}/rollback`` (``admin``): the previous live version again."""
        return ServiceModels.model_validate(
            self._http.json("POST", f"/models/{service}/rollback"))

    def predictions(self, service: str | None = None, *, version: int | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    limit: int = 50, offset: int = 0) -> PredictionPage:
        """``GET /predictions`` (``history`` scope): the prediction log, newest first."""
        params = {"service": service, "version": version, "limit": limit, "offset": offset,
                  "since": since.isoformat() if since else None,
                  "until": until.isoformat() if until else None}
        return PredictionPage.model_validate(self._http.json(
            "GET", "/predictions", params={k: v for k, v in params.items() if v is not None}))

    def monitoring(self, service: str, *, minutes: int = 60) -> Monitoring:
        """``GET /monitoring/{service}`` (``history`` scope) over the last ``minutes``."""
        return Monitoring.model_validate(self._http.json(
            "GET", f"/monitoring/{service}", params={"minutes": minutes}))

    def api_keys(self) -> list[KeyInfo]:
        """``GET /keys`` (``admin``)."""
        listed = self._http.json("GET", "/keys")["keys"]
        return [KeyInfo.model_validate(row) for row in listed]

    def create_key(self, scopes: Iterable[str], name: str = "") -> NewKey:
        """``POST /keys`` (``admin``): a new key; its secret is in the answer only."""
        return NewKey.model_validate(self._http.json(
            "POST", "/keys", json={"name": name, "scopes": list(scopes)}))

    def revoke_key(self, key_id: str) -> bool:
        """``DELETE /keys/{key_id}`` (``admin``); every worker refuses it within the poll."""
        return bool(self._http.json("DELETE", f"/keys/{key_id}")["revoked"])

    def rotate_key(self, key_id: str) -> NewKey:
        """``POST /keys/{key_id}/rotate`` (``admin``): a new secret, the old one revoked."""
        return NewKey.model_validate(self._http.json("POST", f"/keys/{key_id}/rotate"))
