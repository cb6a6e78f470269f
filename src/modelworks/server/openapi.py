"""The OpenAPI document says who may call each operation.

Routes declare access with a ``Requirement`` dependency, which FastAPI does not know as a
security scheme; this adds the two schemes (``X-API-Key``, and a bearer key or token) and, on
every operation that checks a credential under the server's auth mode, its security
requirement, so Swagger UI shows an Authorize button and clients see which calls need a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute

from modelworks.core.settings import AuthMode
from modelworks.server.index import requirement_of

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An API key (`mw_...`) with the operation's scope"},
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An API key, or a token from `POST /api/authenticate`"},
}
KEYED: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]


ANY_SCOPE = "any"
"""Marks a route any valid key may call."""


def install_security(app: FastAPI, routers: list[APIRouter], auth: AuthMode) -> None:
    """Make ``app.openapi()`` carry the security schemes and each operation's requirement."""
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    routes += [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    scopes: dict[tuple[str, str], str | None] = {}
    for route in routes:
        requirement = requirement_of(route)
        if requirement is None or auth is AuthMode.OFF:
            continue
        open_here = auth is AuthMode.CONTRACT and requirement.open_in_contract
        for method in route.methods or ():
            needed = requirement.scope.value if requirement.scope is not None else ANY_SCOPE
            scopes[(method.lower(), route.path)] = None if open_here else needed
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        if scopes:
            schema.setdefault("components", {})["securitySchemes"] = SCHEMES
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if (method, path) not in scopes:
                    continue
                scope = scopes[(method, path)]
                # Open under this mode: a key is accepted but not needed (the empty choice).
                operation["security"] = KEYED if scope else [{}, *KEYED]
                if scope:
                    needs = ("Needs a valid key, whatever its scopes." if scope == ANY_SCOPE
                             else f"Needs a key with the `{scope}` scope (`admin` holds them "
                                  "all).")
                    operation["description"] = (operation.get("description", "") +
                                                f"\n\n{needs}").strip()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
