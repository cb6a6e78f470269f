"""Who is calling and what they may do: scopes, the principal, and the 401/403 errors.

Shared by API keys (``auth``) and bearer tokens (``tokens``), so neither imports the other's
internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from modelworks.core.errors import ModelworksError


class Scope(StrEnum):
    """What a key may do; ``admin`` implies every other scope."""

    PREDICT = "predict"
    """Ask the models."""
    HISTORY = "history"
    """Read what was asked of them (stored predictions hold clients' data, e.g. resumes)."""
    TRAIN = "train"
    """Train, upload data, manage users and catalogues."""
    ADMIN = "admin"
    """Promote and roll back versions; implies every other scope."""


class Unauthorized(ModelworksError):
    """No key, or a key that does not verify."""

    status_code = 401


class Forbidden(ModelworksError):
    """A valid key without the scope the route needs."""

    status_code = 403


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id and name and its scopes."""

    key_id: str
    name: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        """Whether this caller holds ``scope``."""
        return scope in self.scopes or Scope.ADMIN in self.scopes


ANONYMOUS = Principal("anonymous", "auth off", frozenset(Scope))
CONTRACT_CLIENT = Principal("contract", "client of an original system (auth contract)",
                            frozenset({Scope.PREDICT, Scope.TRAIN}))
"""Who calls a route its seed document leaves open, under ``MODELWORKS_AUTH=contract``."""
