"""``POST /api/authenticate``: exchange an API key for a short-lived bearer token."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from modelworks.core.errors import DataError
from modelworks.server.auth import ANONYMOUS, KeyStore, Principal, Unauthorized
from modelworks.server.tokens import FailureLimiter, TokenIssuer

_BODY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["key"], "additionalProperties": False,
    "properties": {"key": {"type": "string", "description": "An API key (`mw_...`)"}},
}


def build_auth_router(tokens: TokenIssuer, limiter: FailureLimiter) -> APIRouter:
    """The token endpoint; the key store comes from the app's state (absent with auth off)."""
    router = APIRouter(tags=["auth"])

    @router.post(
        "/api/authenticate",
        summary="Exchange an API key for a bearer token",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": _BODY_SCHEMA}}}},
        responses={401: {"description": "missing or wrong key"},
                   429: {"description": "too many failures from this client"}},
    )
    async def authenticate(request: Request) -> dict[str, Any]:
        client = request.client.host if request.client else "unknown"
        limiter.check(client)
        key = _presented(await request.body())
        keys: KeyStore | None = request.app.state.keys
        principal: Principal | None
        if keys is None:  # auth off: any key is accepted, and tokens are never checked
            principal = ANONYMOUS if key else None
        else:
            principal = await run_in_threadpool(keys.verify, key) if key else None
        if principal is None:
            limiter.failed(client)
            raise Unauthorized("an API key is required in the body: {\"key\": \"mw_...\"}"
                               if not key else "the API key is not valid")
        return {"token": tokens.issue(principal), "expires_in": tokens.ttl_seconds,
                "token_type": "bearer", "scopes": sorted(s.value for s in principal.scopes)}

    return router


def _presented(raw: bytes) -> str:
    """The ``key`` field of a JSON object body ('' when absent); 400 for a body that is not one."""
    if not raw.strip():
        return ""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DataError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DataError("the body must be a JSON object: {\"key\": \"<api key>\"}")
    unknown = sorted(set(body) - {"key"})
    if unknown:
        raise DataError(f"unknown field {unknown[0]!r}; the only field is 'key'", field=unknown[0])
    key = body.get("key", "")
    if not isinstance(key, str):
        raise DataError("key must be a string", field="key")
    return key.strip()
