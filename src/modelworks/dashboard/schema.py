"""What the dashboard learns from the API's own OpenAPI document.

The prediction operations of each service (how their requests are sent, their examples) and
the values a field allows. The dashboard imports no service: a new service's form appears
without dashboard code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelworks.client import Client

PREDICTION = "x-modelworks-prediction"


@dataclass(frozen=True)
class Operation:
    """One prediction operation, as the API documents it."""

    service: str
    method: str
    path: str
    summary: str
    request: str
    """``json``, ``csv`` or ``path``."""
    examples: list[dict[str, Any]]
    parameters: list[dict[str, Any]] = field(default_factory=list)


def document(client: Client) -> dict[str, Any]:
    """The API's OpenAPI document, kept a minute in the session."""
    from modelworks.dashboard.session import remembered

    return remembered("openapi", 60, client.openapi)


def prediction_operations(openapi: dict[str, Any]) -> list[Operation]:
    """Every declared prediction operation, in the document's order."""
    found = []
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            marker = operation.get(PREDICTION)
            if marker:
                found.append(Operation(marker["service"], method.upper(), path,
                                       operation.get("summary", ""), marker["request"],
                                       marker.get("examples", []),
                                       operation.get("parameters", [])))
    return found


def query_enum(openapi: dict[str, Any], path: str, method: str, name: str) -> list[str]:
    """The values a query parameter allows (empty when it lists none)."""
    operation = openapi.get("paths", {}).get(path, {}).get(method.lower(), {})
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == name:
            return list(parameter.get("schema", {}).get("enum", []))
    return []
