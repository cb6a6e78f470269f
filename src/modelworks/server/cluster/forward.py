"""A request carried across a Ray handle, and its answer from an app called in-process.

The ingress turns an HTTP request into a ``Forwarded`` value (method, path, query, headers,
body, client address), a service replica runs its own modelworks app on it through the ASGI
interface, and the answer travels back whole as an ``Answered``. Calling the app's ASGI
entry directly rather than through an HTTP client keeps every byte of the request (headers
repeated, the client's address) and costs no connection: the app is in the same process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message

_HTTP_VERSION = "1.1"


@dataclass(frozen=True)
class Forwarded:
    """One HTTP request as the ingress received it."""

    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    client: tuple[str, int] | None
    scheme: str = "http"
    server: tuple[str, int] | None = None


@dataclass
class Answered:
    """One HTTP answer: status, headers in order (repeats kept), body."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if present."""
        wanted = name.lower().encode()
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == wanted), None)


async def call_app(app: ASGIApp, request: Forwarded) -> Answered:
    """Run ``request`` through ``app`` and collect its whole answer.

    After the body, ``receive`` waits until the answer is complete and then reports a
    disconnect: the app's middleware watches for a client leaving, and this client stays
    until the answer is in.
    """
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": _HTTP_VERSION, "method": request.method, "scheme": request.scheme,
        "path": request.path, "raw_path": request.path.encode(), "root_path": "",
        "query_string": request.query, "headers": request.headers,
        "client": request.client, "server": request.server,
    }
    answered = Answered()
    chunks: list[bytes] = []
    finished = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.status = message["status"]
            answered.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    answered.body = b"".join(chunks)
    return answered
