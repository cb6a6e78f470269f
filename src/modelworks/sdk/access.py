"""Who may call a route: scopes, the caller (``Principal``), and the dependencies routes use.

A route declares its rule with one ``Annotated`` dependency (``PredictKey``, ``TrainKey``,
``HistoryKey``, ``AdminKey``, or ``ContractPredict`` / ``ContractTrain`` for a route a seed
document defines without a key). The rule is data on the route (``Requirement``); checking it
is the server's business (``server/auth.py`` installs ``app.state.authorize``), so services
and the core declare access without knowing how keys and tokens are verified.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

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

Authorize = Callable[[Request, "Requirement"], Awaitable[Principal]]
"""What the server installs as ``app.state.authorize``: admit the caller or raise."""


class Requirement:
    """A route's access rule, usable as a FastAPI dependency: callers need ``scope``.

    ``scope=None`` admits any valid key, whatever its scopes. ``open_in_contract`` marks a
    route that a seed document defines without any key: with ``MODELWORKS_AUTH=contract`` it
    admits everyone, as the original system did.
    """

    def __init__(self, scope: Scope | None, *, open_in_contract: bool = False) -> None:
        self.scope = scope
        self.open_in_contract = open_in_contract

    async def __call__(self, request: Request) -> Principal:
        """Admit the caller or raise 401/403 (429 for a client that failed too often)."""
        authorize: Authorize = request.app.state.authorize
        return await authorize(request, self)


PredictKey = Annotated[Principal, Depends(Requirement(Scope.PREDICT))]
"""A caller allowed to ask the models."""
TrainKey = Annotated[Principal, Depends(Requirement(Scope.TRAIN))]
"""A caller allowed to train and to change a service's data (users, catalogues)."""
HistoryKey = Annotated[Principal, Depends(Requirement(Scope.HISTORY))]
"""A caller allowed to read stored predictions."""
AdminKey = Annotated[Principal, Depends(Requirement(Scope.ADMIN))]
"""A caller allowed to move live versions."""
AnyKey = Annotated[Principal, Depends(Requirement(None))]
"""Any caller with a valid key or token, whatever its scopes."""
ContractPredict = Annotated[Principal, Depends(Requirement(Scope.PREDICT,
                                                           open_in_contract=True))]
"""``PredictKey``, except that the route is open with ``MODELWORKS_AUTH=contract``."""
ContractTrain = Annotated[Principal, Depends(Requirement(Scope.TRAIN, open_in_contract=True))]
"""``TrainKey``, except that the route is open with ``MODELWORKS_AUTH=contract``."""
