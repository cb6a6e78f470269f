"""Short-lived bearer tokens exchanged for an API key, and a brake on key guessing.

A token is a JWT (HS256, PyJWT) carrying the key's id, name and scopes and an expiry, signed
with a secret every worker shares, so any worker verifies it without the database. The secret
comes from ``MODELWORKS_TOKEN_SECRET`` or from an owner-only file created once in home.
"""

from __future__ import annotations

import math
import os
import secrets
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

import jwt

from modelworks.core.errors import ModelworksError
from modelworks.server.principal import Principal, Scope, Unauthorized

if TYPE_CHECKING:
    from pathlib import Path

    from modelworks.core.settings import Settings

_ALGORITHM = "HS256"
_ISSUER = "modelworks"


class TooManyFailures(ModelworksError):
    """A client failed to authenticate too often; it must wait ``retry_after`` seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


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
            raise Unauthorized("unauthenticated session: the token has expired; get a new one "
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


class FailureLimiter:
    """Counts failed authentications per client in a sliding window and refuses past a limit.

    Kept in memory: each worker process counts on its own, so with N workers a client gets at
    most N times the limit per window, still far too few tries to guess a 256-bit key.
    """

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise ``TooManyFailures`` (429) while ``client`` is over the limit."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent(client, now)
            if len(recent) >= self.max_failures:
                wait = math.ceil(recent[0] + self.window_seconds - now)
                raise TooManyFailures(
                    f"too many failed authentications from this client; retry in {wait} s",
                    retry_after=max(wait, 1))

    def failed(self, client: str) -> None:
        """Count one failure of ``client``."""
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # forget idle clients so memory stays bounded
                cutoff = now - self.window_seconds
                for name in [c for c, times in self._failures.items()
                             if not times or times[-1] <= cutoff]:
                    del self._failures[name]

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times
