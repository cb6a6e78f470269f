"""API keys with scopes: stored as sha256, compared in constant time.

A key reads ``mw_<key id>_<secret>``. The id finds the row; the secret's sha256 is compared
with ``hmac.compare_digest``. Secrets are 256 random bits, so a fast hash is enough (slow
password hashes protect low-entropy secrets). The plain key is shown once, when created.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from modelworks.sdk.access import (
    ANONYMOUS,
    CONTRACT_CLIENT,
    Forbidden,
    Principal,
    Requirement,
    Scope,
    Unauthorized,
)
from modelworks.server.db import ApiKey
from modelworks.server.limiter import FailureLimiter
from modelworks.server.tokens import TokenExpired, TokenIssuer, looks_like_token

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["KeyStore", "authorize", "key_id_of", "presented_key", "write_key_file"]

log = logging.getLogger(__name__)
_MAX_REMEMBERED = 10_000


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """API keys in the database.

    A key verified in the last ``remember_seconds`` is accepted from memory (by the sha256 of
    the whole presented key), so a busy client costs no database read per request; a revoked key
    therefore keeps working for at most that long in a worker that has just seen it. While the
    database is unreachable, a key this worker verified within ``outage_grace_seconds`` keeps
    working, so a database blip does not fail clients that were just served.
    """

    def __init__(self, engine: Engine, remember_seconds: float = 5.0,
                 outage_grace_seconds: float = 600.0) -> None:
        self.engine = engine
        self.remember_seconds = remember_seconds
        self.outage_grace_seconds = outage_grace_seconds
        self._recent: dict[str, tuple[float, Principal]] = {}
        self._active: frozenset[str] | None = None  # ids of keys not revoked, once synced

    def sync(self) -> None:
        """Learn which keys are live now; forget remembered keys that were revoked since."""
        with Session(self.engine) as session:
            active = frozenset(session.scalars(select(ApiKey.key_id).where(
                ApiKey.revoked_at.is_(None))))
        self._active = active
        for digest, (_, principal) in list(self._recent.items()):
            if principal.key_id not in active:
                self._recent.pop(digest, None)

    def allows_token_of(self, key_id: str) -> bool:
        """Whether a token issued for ``key_id`` may still be used (its key is not revoked).

        Known from the last ``sync`` (every poll interval), so a revocation reaches every
        worker's tokens within a second without a database read per request; only a key
        created since the last sync costs one read.
        """
        active = self._active
        if active is None or key_id in active:
            return True
        with Session(self.engine) as session:
            row = session.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            return False
        self._active = active | {key_id}
        return True

    def revoke(self, key_id: str) -> bool:
        """Revoke a key (and with it every token issued for it); False if there is none."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiKey, key_id)
            if row is None:
                return False
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
        return True

    def rotate(self, key_id: str) -> tuple[Principal, str] | None:
        """Replace a live key: a new one with its name and scopes, and it revoked, at once.

        ``None`` if there is no live key ``key_id``. One transaction, so there is never a
        moment with both or neither.
        """
        secret = secrets.token_urlsafe(32)
        new_id = secrets.token_hex(6)
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at = datetime.now(UTC)
            session.add(ApiKey(key_id=new_id, name=row.name, secret_sha256=_digest(secret),
                               scopes=row.scopes))
            scopes = frozenset(Scope(s) for s in row.scopes.split(","))
            name = row.name
        return Principal(new_id, name, scopes), f"mw_{new_id}_{secret}"

    def listing(self) -> list[dict[str, str]]:
        """Every key's id, name, scopes, creation and revocation time (never a secret)."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
        return [{"key_id": r.key_id, "name": r.name, "scopes": r.scopes,
                 "created_at": r.created_at.isoformat() if r.created_at else "",
                 "revoked_at": r.revoked_at.isoformat() if r.revoked_at else ""} for r in rows]

    def recent(self, presented: str) -> Principal | None:
        """The principal of a key verified a moment ago, without touching the database."""
        entry = self._recent.get(_digest(presented))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def create(self, scopes: Iterable[Scope], name: str = "") -> tuple[Principal, str]:
        """Store a new key; returns it and its plain text (which is not kept)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        wanted = frozenset(scopes)
        if not wanted:
            raise ValueError("a key needs at least one scope")
        with Session(self.engine) as session, session.begin():
            session.add(ApiKey(key_id=key_id, name=name or f"key {key_id}",
                               secret_sha256=_digest(secret),
                               scopes=",".join(sorted(wanted))))
        return Principal(key_id, name, wanted), f"mw_{key_id}_{secret}"

    def verify(self, presented: str) -> Principal | None:
        """The key's principal if ``presented`` is a live key, else ``None``."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != "mw" or not key_id or not secret:
            return None
        try:
            with Session(self.engine) as session:
                row = session.get(ApiKey, key_id)
        except SQLAlchemyError:
            remembered = self._recent.get(_digest(presented))
            if remembered is not None and (
                    remembered[0] + self.outage_grace_seconds > time.monotonic()):
                return remembered[1]
            raise
        # Compare even when the id is unknown, so timing does not tell ids apart.
        expected = row.secret_sha256 if row is not None else _digest("")
        matches = hmac.compare_digest(_digest(secret), expected)
        if row is None or not matches or row.revoked_at is not None:
            return None
        principal = Principal(row.key_id, row.name,
                              frozenset(Scope(s) for s in row.scopes.split(",")))
        if len(self._recent) > _MAX_REMEMBERED:
            self._recent.clear()
        self._recent[_digest(presented)] = (time.monotonic() + self.remember_seconds, principal)
        return principal

    def count(self) -> int:
        """Number of keys that are not revoked."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(ApiKey)
                                      .where(ApiKey.revoked_at.is_(None))) or 0)

    def ensure_admin_key(self, key_file: Path) -> str | None:
        """On first start, create an admin key, store it owner-only, return it (else None)."""
        if self.count() > 0:
            return None
        _, plain = self.create([Scope.ADMIN], name="first admin key")
        write_key_file(key_file, plain)
        return plain


def write_key_file(path: Path, plain: str) -> None:
    """Write a key to ``path``, readable only by its owner (also when it existed before)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode applies only to a new file
    with os.fdopen(fd, "w") as handle:
        handle.write(plain + "\n")


def key_id_of(key: str) -> str:
    """The id part of a key ``mw_<id>_<secret>``; anything else is taken to be an id."""
    return key.split("_")[1] if key.startswith("mw_") and key.count("_") >= 2 else key


def presented_key(request: Request) -> str | None:
    """The credential from ``X-API-Key`` or ``Authorization: Bearer`` (a key or a token)."""
    if key := request.headers.get("x-api-key"):
        return key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def authorize(request: Request, requirement: Requirement) -> Principal:
    """Admit the caller of a route that declares ``requirement``, or raise 401/403/429.

    The credential is an API key or a bearer token from ``POST /api/authenticate``; a token
    carries the scopes of the key it was issued for. Installed as ``app.state.authorize``.
    """
    keys: KeyStore | None = request.app.state.keys
    if keys is None:
        return ANONYMOUS
    if requirement.open_in_contract and request.app.state.contract_auth:
        return CONTRACT_CLIENT
    presented = presented_key(request)
    if presented is None:
        raise Unauthorized("unauthenticated session: send `X-API-Key: <key>` or "
                           "`Authorization: Bearer <key or token>` (a token comes from "
                           "POST /api/authenticate)")
    principal = keys.recent(presented)
    if principal is None:
        principal = await _verify(request, keys, presented)
    if requirement.scope is not None and not principal.allows(requirement.scope):
        raise Forbidden(f"this key lacks the `{requirement.scope.value}` scope")
    return principal


async def _verify(request: Request, keys: KeyStore, presented: str) -> Principal:
    """Check a credential not seen a moment ago; count it when it fails.

    A client over the failure limit may present no key until its window passes; a signed
    token is still checked (nobody can guess one), so a client that failed does not lose
    the session it already has.
    """
    limiter: FailureLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    if looks_like_token(presented):
        tokens: TokenIssuer = request.app.state.tokens
        try:
            principal = tokens.verify(presented)
        except TokenExpired:
            raise  # a session that ended: no guess, nothing to count
        except Unauthorized:
            await run_in_threadpool(limiter.failed, client)
            raise
        if not await run_in_threadpool(keys.allows_token_of, principal.key_id):
            raise Unauthorized("unauthenticated session: the key this token was issued "
                               "for has been revoked")
        return principal
    limiter.check(client)
    verified = await run_in_threadpool(keys.verify, presented)
    if verified is None:
        await run_in_threadpool(limiter.failed, client)
        raise Unauthorized("unauthenticated session: the API key is not valid")
    return verified
