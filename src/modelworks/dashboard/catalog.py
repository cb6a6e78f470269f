"""What the API says it serves: the services, their prediction operations and their models."""

from __future__ import annotations

from modelworks.client import Client
from modelworks.client.console import Identity
from modelworks.client.results import ServiceModels
from modelworks.dashboard.schema import Operation, document, prediction_operations
from modelworks.dashboard.session import forget, remembered

MODELS_SECONDS = 5.0
"""How long a service's version list is reused: long enough for one page run, short enough
that a promotion from elsewhere shows on the next click."""


def operations(client: Client, service: str | None = None) -> list[Operation]:
    """The prediction operations the API declares (of one service, when named)."""
    found = prediction_operations(document(client))
    return [o for o in found if service is None or o.service == service]


def services(client: Client, identity: Identity) -> list[str]:
    """Every service the API serves, sorted.

    Those with a prediction operation, and with the train scope those the registry lists (a
    service may have versions before it serves).
    """
    names = {operation.service for operation in operations(client)}
    if identity.allows("train"):
        names |= set(remembered("models", MODELS_SECONDS, client.models))
    return sorted(names)


def models(client: Client, service: str) -> ServiceModels:
    """A service's versions and live model (reused a few seconds)."""
    return remembered(f"model-{service}", MODELS_SECONDS, lambda: client.model(service))


def changed(service: str) -> None:
    """After a promotion, rollback or training: read the service's versions afresh."""
    forget(f"model-{service}")
    forget("models")
