"""Settings, read once from the environment (prefix ``MODELWORKS_``) and passed down."""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

HOME_NAME = ".modelworks"


def find_home(start: Path | None = None) -> Path:
    """The home folder for commands run in ``start`` (default: the current folder).

    As git finds ``.git``: the nearest ``.modelworks`` in ``start`` or a folder above it, so a
    command run anywhere inside a project uses the project's home. Where there is none yet, a
    new one goes in the nearest folder above that holds ``pyproject.toml`` or ``.git`` (the
    project's root), else in ``start``.
    """
    start = (start or Path.cwd()).resolve()
    folders = [start, *start.parents]
    for folder in folders:
        if (folder / HOME_NAME).is_dir():
            return folder / HOME_NAME
    for folder in folders:
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder / HOME_NAME
    return start / HOME_NAME


class AuthMode(StrEnum):
    """Which requests must carry an API key (or a token from ``POST /api/authenticate``)."""

    REQUIRED = "required"
    """Every route but the probes, ``GET /`` and the token exchange needs a scoped key."""
    CONTRACT = "contract"
    """Each route a seed document defines authenticates as that document says (most are open);
    every other route (registry, jobs, keys, catalogue writes, users, feedback) needs a key."""
    OFF = "off"
    """Every route is open: local experiments only."""


class ServiceSettings(BaseSettings):
    """Base of a service's own settings: subclass it, declare documented fields with defaults.

    The core fills it from ``MODELWORKS_<SERVICE>__<FIELD>`` (and ``service_options``):
    ``Settings.for_service``.
    """

    model_config = SettingsConfigDict(extra="forbid")

    legacy_env: ClassVar[dict[str, str]] = {}
    """Field name -> the flat environment variable it was read from before it moved here."""


OptionsT = TypeVar("OptionsT", bound=ServiceSettings)


class RayDeployment(BaseModel):
    """Replicas and autoscaling of one service's Ray Serve deployment (``serve --ray``)."""

    model_config = ConfigDict(extra="forbid")

    num_replicas: int | None = Field(
        default=None, ge=1,
        description="A fixed number of replicas; leave unset to autoscale between "
                    "`min_replicas` and `max_replicas`.")
    min_replicas: int = Field(default=1, ge=0, description="Fewest replicas when autoscaling.")
    max_replicas: int = Field(default=1, ge=1, description="Most replicas when autoscaling.")
    target_ongoing_requests: float = Field(
        default=4.0, gt=0.0,
        description="Requests in flight per replica the autoscaler aims for.")
    num_cpus: float = Field(
        default=0.25, gt=0.0,
        description="CPUs Ray reserves for each replica (a reservation Ray counts, not a "
                    "limit the process is held to).")
    resources: dict[str, float] = Field(
        default_factory=dict,
        description="Custom Ray resources each replica asks for, e.g. `{\"serving\": 1}` to "
                    "keep replicas on nodes started with that resource (and off the "
                    "training nodes).")


class Settings(BaseSettings):
    """Every knob of a modelworks process; each field maps to ``MODELWORKS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="MODELWORKS_", extra="ignore")

    home: Path = Field(
        default_factory=find_home,
        description="Folder holding the registry, prepared data, the database and credentials; "
                    "default: the nearest `.modelworks` in the current folder or one above it "
                    "(as git finds `.git`), else a new one at the project's root.",
    )
    registry_url: str | None = Field(
        default=None,
        description="Where model versions live: a folder, a `file://` URL, `s3://bucket/prefix` "
                    "or another fsspec URL; default: `registry` in home. For `s3://` (AWS or "
                    "any S3-compatible store) install `modelworks[s3]`; the endpoint and "
                    "credentials come from the usual AWS variables (`AWS_ENDPOINT_URL`, "
                    "`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, ...). Versions "
                    "loaded from a URL are kept in `cache/registry` in home.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite file `modelworks.db` in home.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(
        default=1, ge=1, le=64,
        description="Server worker processes. Above 1, the models load once in a master "
                    "process and the workers are forked from it, sharing that memory.",
    )
    model_threads: int = Field(
        default=0, ge=0, le=256,
        description="Native threads one prediction may use (ONNX Runtime intra-op); 0: one "
                    "per core. `serve --workers N` uses 1 unless set: N processes already "
                    "fill the cores, and a thread pool made before the fork cannot be freed "
                    "safely after it.",
    )
    run_dir: Path | None = Field(
        default=None,
        description="Folder the workers of one multi-worker server share (Prometheus "
                    "multiprocess files, which version each worker serves); `serve --workers` "
                    "makes a fresh one, so leave it unset.",
    )
    services: list[str] | None = Field(
        default=None, description="Services to enable (JSON list); default: all installed."
    )
    auth: AuthMode = Field(
        default=AuthMode.REQUIRED,
        description="`required`: a scoped API key on every model and admin call; `contract`: "
                    "the routes of the original systems authenticate as their documents say "
                    "(open, except movies' key -> token flow), everything else needs a key; "
                    "`off`: everything open.",
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest accepted upload (413 above it)."
    )
    max_text_chars: int = Field(
        default=100_000, gt=0,
        description="Longest text one text-classification request may carry (413 above).",
    )
    request_timeout_seconds: float = Field(
        default=30.0, gt=0,
        description="Longest time one request may compute; past it its work stops and the "
                    "client gets a 503. Work also stops when the client disconnects.",
    )
    live_poll_seconds: float = Field(
        default=0.5, gt=0,
        description="Seconds between checks for a new live model (and between the server's "
                    "periodic tasks); a swap reaches every worker within this plus the load.",
    )
    log_flush_seconds: float = Field(
        default=0.2, gt=0, description="Longest time a prediction record waits before its write."
    )
    log_batch_size: int = Field(
        default=500, gt=0, description="Largest number of prediction records written at once."
    )
    log_level: str = Field(default="INFO", description="Logging level of the logs.")
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="`text`: one readable line per event; `json`: one JSON object per line "
                    "(for log collectors); `auto`: text when stderr is a terminal, else JSON.",
    )
    token_ttl_seconds: int = Field(
        default=3600, gt=0, le=86400 * 7,
        description="Lifetime of a bearer token issued by `POST /api/authenticate`.",
    )
    token_secret: SecretStr | None = Field(
        default=None,
        description="HMAC secret that signs bearer tokens; default: a random secret created "
                    "once in home (`token.secret`, owner-only), shared by every worker.",
    )
    auth_max_failures: int = Field(
        default=5, gt=0,
        description="Failed credentials (a wrong key, or a token that does not verify, on any "
                    "route) one client may present per window; past it, its keys are refused "
                    "with 429 until the window moves on.",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses (or `*`) of reverse proxies whose "
                    "`X-Forwarded-For` names the client (for the failed-authentication limit "
                    "and the logs); empty: trust none, the client is the connection's peer.",
    )
    auth_failure_window_seconds: float = Field(
        default=60.0, gt=0,
        description="Length of the window in which failed authentications are counted.",
    )
    max_jobs: int = Field(
        default=2, ge=1, le=64,
        description="Training jobs one machine runs at once (never two of one service); "
                    "more wait queued.",
    )
    max_queued_jobs: int = Field(
        default=8, ge=1, le=10_000,
        description="Training jobs of one service that may wait queued; more are refused with "
                    "429 (a queue, not a backlog anyone can fill).",
    )
    gate_tolerance: float = Field(
        default=0.01, ge=0,
        description="How far below the live model's held-out primary metric a new version may "
                    "score and still be promoted, for services that compare with the live model.",
    )

    redis_url: str | None = Field(
        default=None,
        description="Redis URL (e.g. `redis://127.0.0.1:6379/0`) for the shared embedding "
                    "cache; default: a cache in each process's memory.",
    )
    api_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where the dashboard and the CLI's server commands find the API; default: "
                    "this machine at `MODELWORKS_PORT`.",
    )
    dashboard_port: int = Field(
        default=9000, ge=1, le=65535, description="Port the dashboard listens on.")
    api_key: SecretStr | None = Field(
        default=None,
        description="The API key the CLI's server commands (`jobs`, `predict --api-url`) and "
                    "`modelworks.client.Client.from_settings` send; default: the admin key in "
                    "home.",
    )

    batch_sizes: dict[str, int] = Field(
        default_factory=dict,
        description="Largest batch per service for endpoints that batch concurrent requests, "
                    "as JSON, e.g. `{\"resumes\": 64}`; 0 turns batching off for that service; "
                    "absent: the size the service declares.",
    )
    inline_ms: float = Field(
        default=2.0, ge=0.0,
        description="A CPU-bound model call predicted (from the endpoint's recent calls, per "
                    "kilobyte of request) to take less than this many milliseconds runs on the "
                    "event loop instead of the thread pool, sparing the hop; 0 always uses the "
                    "pool.",
    )
    service_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Settings of individual services as JSON, e.g. "
                    "`{\"genres\": {\"max_predict_rows\": 500}}`; each service also reads "
                    "`MODELWORKS_<SERVICE>__<FIELD>` (e.g. `MODELWORKS_GENRES__MAX_PREDICT_ROWS`), "
                    "which this overrides.",
    )

    ray_address: str | None = Field(
        default=None,
        description="Ray cluster `serve` runs on, as `serve --ray` does (`auto`: the "
                    "cluster this machine joined with `ray start`; `HOST:PORT` or "
                    "`ray://HOST:10001`: another; `local`, what `--ray` alone means: a Ray "
                    "instance of its own on this machine); unset: no Ray. On Ray, training "
                    "jobs run as Ray tasks on the cluster instead of processes on this "
                    "machine.",
    )
    ray_proxy_location: Literal["EveryNode", "HeadOnly"] = Field(
        default="EveryNode",
        description="Where Ray Serve runs its HTTP proxy (on `MODELWORKS_HOST` and "
                    "`MODELWORKS_PORT`): `EveryNode`, so a load balancer can send to any "
                    "node, or `HeadOnly` (several Ray nodes on one machine would each want "
                    "the port).",
    )
    ray_deployments: dict[str, RayDeployment] = Field(
        default_factory=dict,
        description="Ray Serve replicas per service as JSON, e.g. `{\"genres\": "
                    "{\"min_replicas\": 1, \"max_replicas\": 4, "
                    "\"target_ongoing_requests\": 4, \"num_cpus\": 0.5}}`; fields "
                    "`num_replicas`, `min_replicas`, `max_replicas`, `target_ongoing_requests`, "
                    "`num_cpus`, `resources`; absent: one replica of a quarter CPU.",
    )
    ray_training_cpus: float = Field(
        default=0.5, gt=0.0,
        description="CPUs a training job's Ray task asks for (`serve --ray`); Ray starts it "
                    "on a node with that many free.",
    )
    ray_training_resource: str | None = Field(
        default=None,
        description="A custom Ray resource a training task also asks one unit of, e.g. "
                    "`training`: only nodes started with `--resources='{\"training\": N}'` "
                    "run training (at most N at once each); unset: any node with free CPUs.",
    )

    @field_validator("registry_url")
    @classmethod
    def _registry_protocol_known(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        protocol = value.split("://", 1)[0] if "://" in value else "file"
        if protocol != "file":
            from fsspec.registry import known_implementations, registry

            if protocol not in {*known_implementations, *registry}:
                raise ValueError(f"unknown protocol {protocol!r}: give a folder, or a file://, "
                                 "s3:// or other fsspec URL")
        return value

    @model_validator(mode="after")
    def _api_url_follows_port(self) -> Settings:
        # The dashboard started beside a server on another port must talk to that server.
        if "api_url" not in self.model_fields_set:
            self.api_url = f"http://127.0.0.1:{self.port}"
        return self

    def for_service(self, name: str, options: type[OptionsT]) -> OptionsT:
        """The settings of service ``name``, of its own type ``options``.

        Read from ``MODELWORKS_<NAME>__<FIELD>``, then from ``service_options[name]``; a field
        ``options`` names in ``legacy_env`` is also read from its pre-0.2 flat name, with a
        warning, so an old deployment keeps its limits.
        """
        prefix = f"MODELWORKS_{name.upper().replace('-', '_')}__"
        given = dict(self.service_options.get(name, {}))
        for field_name, old in options.legacy_env.items():
            if old in os.environ and f"{prefix}{field_name.upper()}" not in os.environ:
                log.warning("%s is deprecated: set %s%s", old, prefix, field_name.upper())
                given.setdefault(field_name, os.environ[old])
        # pydantic-settings takes the prefix at construction; the mypy plugin does not know it
        return options(_env_prefix=prefix, **given)  # type: ignore[call-arg]

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'modelworks.db').resolve()}"

    @property
    def spool_dir(self) -> Path:
        """Where prediction records wait while the database is unreachable."""
        return self.home / "spool"

    @property
    def registry_dir(self) -> Path:
        """The registry's folder when ``registry_url`` is unset (``Registry.from_settings``)."""
        return self.home / "registry"

    @property
    def registry_cache_dir(self) -> Path:
        """Where verified copies of versions loaded from a registry at a URL are kept."""
        return self.home / "cache" / "registry"

    @property
    def data_dir(self) -> Path:
        """Where prepared default data is cached."""
        return self.home / "data"

    @property
    def assets_dir(self) -> Path:
        """Where derived assets (encoders built from packaged weights) are cached."""
        return self.home / "assets"

    @property
    def token_secret_file(self) -> Path:
        """The generated token-signing secret, when ``token_secret`` is not set."""
        return self.home / "token.secret"

    @property
    def admin_key_file(self) -> Path:
        """The first admin key, readable only by its owner."""
        return self.home / "admin.key"

    def client_key(self) -> str | None:
        """The key a client of the API sends: ``api_key``, else the admin key file's, if any."""
        if self.api_key is not None and self.api_key.get_secret_value().strip():
            return self.api_key.get_secret_value().strip()
        if not self.admin_key_file.is_file():
            return None
        return self.admin_key_file.read_text().strip() or None

