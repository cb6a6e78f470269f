"""Who is calling (``/whoami``) and, for admins, the API keys themselves.

A new or rotated key's secret is in the answer that made it and nowhere else: the store keeps
its sha256 only. A revoked key stops working on this worker at once and on every other
worker within ``MODELWORKS_LIVE_POLL_SECONDS`` (``KeyStore.sync``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from modelworks.core.errors import ModelworksError, NotFound
from modelworks.core.settings import AuthMode
from modelworks.sdk.access import AdminKey, AnyKey, Principal, Scope
from modelworks.sdk.bodies import openapi_json_body, parse_json_body, read_small_body
from modelworks.server.auth import KeyStore


class AuthOff(ModelworksError):
    """Key management asked of a server that runs without keys."""

    status_code = 409


class NewKeyRequest(BaseModel):
    """Body of ``POST /keys``."""

    name: str = Field(default="", max_length=200, description="A label for people")
    scopes: list[Scope] = Field(min_length=1, description="predict, history, train, admin")


def build_keys_router(auth: AuthMode) -> APIRouter:
    """``/whoami`` and the admin's ``/keys`` routes."""
    router = APIRouter(tags=["keys"])

    @router.get("/whoami", summary="The calling key: its id, name and scopes")
    def whoami(key: AnyKey) -> dict[str, Any]:
        return {"key_id": None if auth is AuthMode.OFF else key.key_id, "name": key.name,
                "scopes": sorted(scope.value for scope in key.scopes), "auth": auth.value}

    @router.get("/keys", summary="Every key: id, name, scopes, created, revoked (no secrets)")
    def list_keys(request: Request, key: AdminKey) -> dict[str, Any]:
        listed = _store(request).listing()
        return {"keys": [{**row, "scopes": row["scopes"].split(","),
                          "revoked_at": row["revoked_at"] or None} for row in listed]}

    @router.post("/keys", status_code=201, summary="Create a key; its secret is shown once",
                 openapi_extra=openapi_json_body(NewKeyRequest, {"a predict-only key": {
                     "name": "web front end", "scopes": ["predict"]}}))
    async def create_key(request: Request, key: AdminKey) -> dict[str, Any]:
        body = parse_json_body(NewKeyRequest, await read_small_body(request, 4096),
                               {"scopes": "a list of predict, history, train, admin"})
        store = _store(request)
        principal, secret = await run_in_threadpool(store.create, body.scopes, body.name)
        return _created(principal, secret)

    @router.delete("/keys/{key_id}", summary="Revoke a key (every worker within the poll)")
    async def revoke_key(key_id: str, request: Request, key: AdminKey) -> dict[str, Any]:
        if not await run_in_threadpool(_store(request).revoke, key_id):
            raise NotFound(f"no live key {key_id}")
        return {"key_id": key_id, "revoked": True}

    @router.post("/keys/{key_id}/rotate",
                 summary="A new secret with the same name and scopes; the old key is revoked")
    async def rotate_key(key_id: str, request: Request, key: AdminKey) -> dict[str, Any]:
        rotated = await run_in_threadpool(_store(request).rotate, key_id)
        if rotated is None:
            raise NotFound(f"no live key {key_id}")
        return _created(*rotated)

    return router


def _store(request: Request) -> KeyStore:
    keys: KeyStore | None = request.app.state.keys
    if keys is None:
        raise AuthOff("this server runs with MODELWORKS_AUTH=off: there are no keys to manage")
    return keys


def _created(principal: Principal, secret: str) -> dict[str, Any]:
    return {"key_id": principal.key_id, "name": principal.name,
            "scopes": sorted(scope.value for scope in principal.scopes), "key": secret}
