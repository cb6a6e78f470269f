"""``POST /api/authenticate``: exchange an API key for a short-lived bearer token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from modelworks.sdk.access import ANONYMOUS, Principal, Unauthorized
from modelworks.sdk.bodies import openapi_json_body, parse_json_body, read_small_body
from modelworks.server.auth import KeyStore
from modelworks.server.limiter import FailureLimiter
from modelworks.server.tokens import TokenIssuer

MAX_BODY_BYTES = 4096  # a key is about 60 characters


class AuthenticateRequest(BaseModel):
    """The key to exchange; a missing key is a 401 like a wrong one, not a 400."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(default="", description="An API key (`mw_...`)")


def build_auth_router(tokens: TokenIssuer, limiter: FailureLimiter) -> APIRouter:
    """The token endpoint; the key store comes from the app's state (absent with auth off)."""
    router = APIRouter(tags=["auth"])

    @router.post(
        "/api/authenticate",
        summary="Exchange an API key for a bearer token",
        openapi_extra=openapi_json_body(AuthenticateRequest, {
            "your key (the first admin key is in MODELWORKS_HOME/admin.key)": {"key": "mw_..."}}),
        responses={401: {"description": "missing or wrong key"},
                   429: {"description": "too many failures from this client"}},
    )
    async def authenticate(request: Request) -> dict[str, Any]:
        client = request.client.host if request.client else "unknown"
        limiter.check(client)
        raw = await read_small_body(request, MAX_BODY_BYTES)
        key = parse_json_body(AuthenticateRequest, raw, {"key": "an API key (mw_...)"}
                              ).key.strip() if raw.strip() else ""
        keys: KeyStore | None = request.app.state.keys
        principal: Principal | None
        if keys is None:  # auth off: any key is accepted, and tokens are never checked
            principal = ANONYMOUS if key else None
        else:
            principal = await run_in_threadpool(keys.verify, key) if key else None
        if principal is None:
            await run_in_threadpool(limiter.failed, client)
            raise Unauthorized("wrong key: an API key is required in the body: "
                               "{\"key\": \"mw_...\"}" if not key else
                               "wrong key: the API key is not valid")
        return {"token": tokens.issue(principal), "expires_in": tokens.ttl_seconds,
                "token_type": "bearer", "scopes": sorted(s.value for s in principal.scopes)}

    return router
