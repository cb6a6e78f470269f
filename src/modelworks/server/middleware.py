"""ASGI middleware: request ids, access logs, request metrics and the request-size limit."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from modelworks.core.budget import Budget, current_budget
from modelworks.sdk.requests import current_request_id, new_request_id
from modelworks.sdk.uploads import too_large

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from modelworks.server.metrics import ServerMetrics

log = logging.getLogger("modelworks.access")
# Multipart framing around a file is small; allow for it before refusing on Content-Length.
_MULTIPART_OVERHEAD = 64 * 1024
_WATCH_AFTER_SECONDS = 0.05
"""How long a request computes before a task starts watching for its client leaving."""


class RequestMiddleware:
    """Tags each request with an id (``X-Request-ID``), logs it and counts it in the metrics."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, max_upload_bytes: int,
                 timeout_seconds: float = 30.0) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_upload_bytes + _MULTIPART_OVERHEAD
        self.limit = max_upload_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client_rid, length = _request_headers(scope["headers"])
        rid = _safe_request_id(client_rid) or new_request_id()
        token = current_request_id.set(rid)
        budget = Budget(self.timeout_seconds)
        budget_token = current_budget.set(budget)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", rid.encode()))
                # Answers are data for one client: no content sniffing, no shared caches.
                headers.append((b"x-content-type-options", b"nosniff"))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        received = 0
        body_done = False
        watcher: asyncio.Task[None] | None = None
        watch_later: asyncio.TimerHandle | None = None
        gone = asyncio.Event()

        async def watch_for_disconnect() -> None:
            # Once the body is in, the only message left to come is the disconnect: waiting
            # for it here lets long work stop when nobody waits for its answer.
            if (await receive())["type"] == "http.disconnect":
                budget.stop()
                gone.set()

        def start_watching() -> None:
            nonlocal watcher
            if watcher is None:
                watcher = asyncio.create_task(watch_for_disconnect())

        async def receive_within_limit() -> Message:
            # Counted as the bytes arrive, so a chunked body (no Content-Length) is cut off at
            # the limit too, before anything parses it.
            nonlocal received, body_done, watch_later
            if body_done:  # the app asks again: the watcher owns the channel now
                start_watching()
                await gone.wait()
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413, too_large(self.limit).message)
                if not message.get("more_body", False):
                    body_done = True
                    # Most answers leave within milliseconds, before a client's leaving
                    # could matter: a task per request to notice it cost 18 us of a short
                    # prediction's ~600. Only work still running after this starts one.
                    watch_later = asyncio.get_running_loop().call_later(
                        _WATCH_AFTER_SECONDS, start_watching)
            elif message["type"] == "http.disconnect":
                budget.stop()
            return message

        try:
            if length.isdigit() and int(length) > self.max_body:
                await _send_json(send_with_id, 413, {"error": too_large(self.limit).message})
            else:
                await self.app(scope, receive_within_limit, send_with_id)
        except ClientDisconnect:
            status = 499  # the client left while sending its body; nobody reads an answer
        except Exception:
            # Answered here, inside this middleware, so a 500 carries X-Request-ID like any
            # other answer and the connection stays open (Starlette's outermost handler would
            # send it without the header and re-raise, which makes the server close it).
            log.exception("unhandled error", extra={"path": scope["path"]})
            if response_started:
                raise  # half a response is out; only closing the connection can signal it
            await _send_json(send_with_id, 500, {"error": "internal error", "request_id": rid})
        finally:
            if watch_later is not None:
                watch_later.cancel()
            if watcher is not None:
                watcher.cancel()
            current_budget.reset(budget_token)
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            if route != "/metrics":
                self.metrics.observe_request(scope["method"], route, status, elapsed)
            log.info("request", extra={"method": scope["method"], "path": scope["path"],
                                       "route": route, "status": status,
                                       "duration_ms": round(elapsed * 1000, 2)})
            current_request_id.reset(token)


def _request_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
    """The client's ``X-Request-ID`` and ``Content-Length`` ("" when absent).

    The server hands header names over in lower case (HTTP/1.1 and ASGI); only these two are
    read, rather than decoding every header of every request.
    """
    rid = length = ""
    for name, value in headers:
        if name == b"x-request-id":
            rid = value.decode("latin-1")
        elif name == b"content-length":
            length = value.decode("latin-1")
    return rid, length


def _safe_request_id(value: str) -> str:
    """A client's request id if it is short and printable, so it is safe to echo and log."""
    value = value[:64]
    return value if value.isascii() and value.isprintable() else ""


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics labels stay few (not one per user id)."""
    matched = scope.get("route")  # set by the router once it has routed the request
    if matched is not None and hasattr(matched, "path"):
        return str(matched.path)
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", scope["path"]))
    return "unmatched"


async def _send_json(send: Send, status: int, body: object) -> None:
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
