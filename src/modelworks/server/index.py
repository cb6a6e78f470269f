"""``GET /`` and what each auth mode opens.

With one service enabled the server stands in for that service's original system, so ``GET /``
answers as that system's root did (its clients check it). With several, or with one whose
original had no root worth keeping, ``GET /`` is an index: the enabled services, their routes
and who may call each, and links to the probes and docs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from modelworks.core.service import Rooted
from modelworks.core.settings import AuthMode
from modelworks.sdk.access import Requirement

if TYPE_CHECKING:
    from fastapi.dependencies.models import Dependant

    from modelworks.core.service import Service

ANYONE = "anyone"
LINKS = {"docs": "/docs", "redoc": "/redoc", "openapi": "/openapi.json",
         "healthz": "/healthz", "readyz": "/readyz", "metrics": "/metrics", "models": "/models",
         "token": "/api/authenticate"}


def documented_routes(router: APIRouter) -> list[APIRoute]:
    """The routes of ``router`` that appear in the OpenAPI document."""
    return [r for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema]


def requirement_of(route: APIRoute) -> Requirement | None:
    """The auth requirement a route declares, if any (found among nested dependencies)."""
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Requirement):
            return dependant.call
        pending.extend(dependant.dependencies)
    return None


def who_may_call(route: APIRoute, auth: AuthMode) -> str:
    """``ANYONE`` or the scope a caller's key must hold, under ``auth``."""
    requirement = requirement_of(route)
    if requirement is None or auth is AuthMode.OFF or (
            auth is AuthMode.CONTRACT and requirement.open_in_contract):
        return ANYONE
    if requirement.scope is None:
        return "any valid key"
    return f"key with scope {requirement.scope.value}"


def _methods(route: APIRoute) -> str:
    return "|".join(sorted(route.methods or ()))


def _label(route: APIRoute) -> str:
    return f"{_methods(route)} {route.path}"


def describe_auth(auth: AuthMode, routes: dict[str, list[APIRoute]]) -> str:
    """One sentence for the startup log: what ``auth`` opens on this server."""
    if auth is AuthMode.OFF:
        return ("AUTH IS OFF: every endpoint is open to anyone who can reach this server; "
                "use only on a trusted network")
    always = ("GET /, the probes (/healthz, /readyz, and /health with similarity), /metrics, "
              "/docs, /redoc, /openapi.json and POST /api/authenticate are open")
    if auth is AuthMode.REQUIRED:
        return f"auth required: every model, training and admin route needs a scoped key; {always}"
    opened = [_label(r) for service_routes in routes.values() for r in service_routes
              if who_may_call(r, auth) == ANYONE and requirement_of(r) is not None]
    return ("AUTH CONTRACT: open without a key, as the original systems' documents define "
            f"them: {', '.join(opened) or 'nothing'}; every other route needs a scoped key; "
            f"{always}")


def build_root_router(services: dict[str, Service], routes: dict[str, list[APIRoute]],
                      auth: AuthMode, version: str) -> APIRouter:
    """``GET /``, answered from what the server mounted."""
    router = APIRouter(tags=["ops"])
    only = next(iter(services.values())) if len(services) == 1 else None
    if isinstance(only, Rooted):
        root_answer: dict[str, Any] = only.root()
    else:
        root_answer = {
            "name": "modelworks", "version": version, "auth": auth.value,
            "services": {name: [{"method": _methods(r), "path": r.path,
                                 "summary": r.summary or "", "auth": who_may_call(r, auth)}
                                for r in service_routes]
                         for name, service_routes in routes.items()},
            "links": LINKS,
        }

    @router.get("/", summary="This server's root: the original system's, or an index")
    async def root() -> dict[str, Any]:
        return root_answer

    return router
