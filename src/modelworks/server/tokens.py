"""Short-lived bearer tokens exchanged for an API key.

A token is a JWT (HS256, PyJWT) carrying the key's id, name and scopes and an expiry, signed
with a secret every worker shares, so any worker verifies it without the database. The secret
comes from ``MODELWORKS_TOKEN_SECRET`` or from an owner-only file created once in home. A
token dies with its key: ``KeyStore`` refuses tokens of revoked keys.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import TYPE_CHECKING

import jwt

from modelworks.sdk.access import Principal, Scope, Unauthorized

if TYPE_CHECKING:
    from pathlib import Path

    from modelworks.core.settings import Settings

_ALGORITHM = "HS256"
_ISSUER = "modelworks"


class TokenExpired(Unauthorized):
    """A token that was valid: its session ended (not a guess, so not counted as one)."""


def looks_like_token(credential: str) -> bool:
    """JWTs are three dot-separated parts; API keys start with ``mw_`` and hold no dot."""
    return credential.count(".") == 2


class TokenIssuer:
    """Issues and verifies bearer tokens."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 characters")
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenIssuer:
        """The configured secret, or the one kept in home (created on first use)."""
        if settings.token_secret is not None:
            return cls(settings.token_secret.get_secret_value(), settings.token_ttl_seconds)
        return cls(_secret_from_file(settings.token_secret_file), settings.token_ttl_seconds)

    def issue(self, principal: Principal) -> str:
        """A signed token for ``principal`` that expires in ``ttl_seconds``."""
        now = int(time.time())
        claims = {
            "iss": _ISSUER, "sub": principal.key_id, "name": principal.name,
            "scopes": sorted(s.value for s in principal.scopes),
            "iat": now, "exp": now + self.ttl_seconds, "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal a valid token carries; ``Unauthorized`` (401) otherwise."""
        try:
            claims = jwt.decode(token, self._secret, algorithms=[_ALGORITHM], issuer=_ISSUER,
                                options={"require": ["exp", "sub", "scopes"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("unauthenticated session: the token has expired; get a new one "
                               "from POST /api/authenticate") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("unauthenticated session: the token is not valid") from exc
        try:
            scopes = frozenset(Scope(s) for s in claims["scopes"])
        except (TypeError, ValueError) as exc:
            raise Unauthorized("unauthenticated session: the token is not valid") from exc
        return Principal(str(claims["sub"]), str(claims.get("name", "")), scopes)


def _secret_from_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(candidate + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # link() fails if another worker created the file first; then everyone reads that one.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
