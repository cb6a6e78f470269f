"""Which deployment answers a path: the route table of ``serve --ray``'s ingress.

Built from the apps themselves, never from a list kept by hand: a route that the app of one
service mounts and the app of no service does not is that service's; the rest are the core's.
A core route that names a service (``/models/{service}/...``, ``?service=``) goes to that
service's deployment, whose app knows its live model; other core routes (keys, jobs, the
token exchange) are the same in every app and go to any one. The documents (``/``,
``/openapi.json``, ``/docs``) and the probes are answered by the ingress's own app of every
service, and a few routes about all services are asked of each and merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.routing import compile_path

LOCAL_PATHS = frozenset({"/", "/openapi.json", "/docs", "/redoc", "/docs/assets/{name}",
                         "/healthz", "/metrics"})
"""Answered by the ingress's own app: documents of every service, liveness, and the metrics
of every process on the ingress's node (they share Prometheus's multiprocess folder)."""

MERGED_PATHS = frozenset({"/readyz", "/models"})
"""About every service: asked of each service's deployment, the answers merged."""

PREDICTION_EXTENSION = "x-modelworks-prediction"
"""The OpenAPI extension that marks a declared prediction endpoint (server/endpoints.py)."""


class Kind(Enum):
    """How the ingress answers a request."""

    LOCAL = "local"
    MERGED = "merged"
    SERVICE = "service"


@dataclass(frozen=True)
class Destination:
    """Where one request goes; ``service`` for ``Kind.SERVICE``."""

    kind: Kind
    service: str | None = None
    retry_safe: bool = False
    """Whether answering it twice does no harm (a read or a prediction): the ingress sends
    it again once if the replica that had it died."""


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    owner: str | None  # a service, or None for the core's
    path: str
    prediction: bool


class RouteTable:
    """Routes of every enabled service's app; ``destination(path, query, method)``."""

    def __init__(self, service_apps: dict[str, FastAPI], core_app: FastAPI) -> None:
        if not service_apps:
            raise ValueError("serve --ray needs at least one enabled service")
        self.services = list(service_apps)
        core_paths = {path for path, _ in mounted_paths(core_app)}
        routes: list[_Route] = []
        for name, app in service_apps.items():
            for path, prediction in mounted_paths(app):
                owner = None if path in core_paths else name
                routes.append(_Route(compile_path(path)[0], owner, path, prediction))
        # A service's own routes first, as the plain app mounts them before the core's.
        self._routes = sorted(routes, key=lambda r: r.owner is None)

    def destination(self, path: str, query: bytes, method: str) -> Destination:
        """The deployment (or the ingress itself) that answers ``method path?query``."""
        safe_method = method in ("GET", "HEAD", "OPTIONS")
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.path in LOCAL_PATHS:
                return Destination(Kind.LOCAL)
            if route.path in MERGED_PATHS and safe_method:
                return Destination(Kind.MERGED)
            retry_safe = safe_method or route.prediction
            if route.owner is not None:
                return Destination(Kind.SERVICE, route.owner, retry_safe)
            named = match.groupdict().get("service") or _query_service(query)
            target = named if named in self.services else self.services[0]
            return Destination(Kind.SERVICE, target, retry_safe)
        return Destination(Kind.LOCAL)  # the ingress's app answers 404 as the plain server does


def mounted_paths(app: FastAPI) -> list[tuple[str, bool]]:
    """Every route path ``app`` serves, and whether it is a declared prediction endpoint.

    FastAPI keeps included routers whole (not copied route by route) since 0.16x; its
    ``iter_route_contexts`` walks them with their prefixes.
    """
    from fastapi.routing import iter_route_contexts

    found: list[tuple[str, bool]] = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None:
            continue
        extra = getattr(route, "openapi_extra", None) or {}
        found.append((path, bool(extra.get(PREDICTION_EXTENSION))))
    return found


def _query_service(query: bytes) -> str | None:
    values = parse_qs(query.decode("latin-1")).get("service")
    return values[0] if values else None
