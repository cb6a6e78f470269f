"""A typed Python client of a modelworks server.

::

    from modelworks.client import Client

    with Client("http://127.0.0.1:8000", api_key="mw_...") as api:
        print(api.recommend(25, "F", "student").recommendations)
        print(api.classify_resume("Oracle DBA with 8 years of RMAN").category)

One method per route (``interests``, ``recommend``, ``predict_genres``, ``classify_resume``,
``rank_products``, ``models``, ``start_job``, ...), each returning a pydantic model from
``modelworks.client.results`` or ``modelworks.client.console``; refusals raise ``ApiError``.
The CLI and the dashboard reach the server through it.

The names load when first used: the CLI imports this package in every command, and
``modelworks serve`` should not build the result models it never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelworks.client._http import ApiError, ApiUnreachable
    from modelworks.client.api import Client

__all__ = ["ApiError", "ApiUnreachable", "Client"]

_HOMES = {"ApiError": "_http", "ApiUnreachable": "_http", "Client": "api"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
