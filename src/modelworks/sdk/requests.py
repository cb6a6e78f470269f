"""The id of the request being served, for logs and for the records a request writes."""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
"""Set by the server for each request (``X-Request-ID``); ``-`` outside a request."""


def request_id() -> str:
    """The id of the request being served (``-`` outside a request)."""
    return current_request_id.get()
