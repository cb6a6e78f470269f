"""Mounting declared prediction endpoints: the one prediction path every service shares.

For each request: access is checked (the endpoint's ``Requirement``), the request is read by
its codec (4xx naming the problem), the live model is taken once (a swap mid-request does not
change it), ``predict`` runs (a CPU-bound one on the event loop or in the thread pool, as
``placement.py`` predicts its time), and its time, one prediction-log record per input, the
prediction count and ``X-Model-Version`` follow. The OpenAPI operation carries the request
and response schemas, the examples and every error.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import request_response

from modelworks.sdk.requests import request_id
from modelworks.server.placement import Placement

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from modelworks.core.live import LiveModel, Loaded
    from modelworks.core.service import PredictionSink
    from modelworks.sdk.endpoints import Answer, Batch, Endpoint, Received


EXTENSION = "x-modelworks-prediction"
"""Marks a prediction operation in the OpenAPI document: its service, how its request is sent
and its examples, so a client (the dashboard) builds a form for it from the API alone."""


class ErrorBody(BaseModel):
    """Every error answer: what is wrong, and the field at fault when there is one."""

    error: str = Field(description="What is wrong, in words a client can act on")
    field: str | None = Field(default=None, description="The field, parameter or column at fault")


def _errors(endpoint: Endpoint) -> dict[int | str, dict[str, Any]]:
    """The error statuses an endpoint answers, each documented with the error body."""
    statuses = {400: "Bad request: the error names the field, parameter or column",
                409: "No model of the service is live yet",
                503: "The request took longer than MODELWORKS_REQUEST_TIMEOUT_SECONDS, or the "
                     "database is unreachable"}
    if endpoint.request.has_body:
        statuses[413] = "The body is over a size or count limit (the error names the setting)"
    statuses.update({401: "No credential, or one that does not verify",
                     403: "The key lacks the scope this endpoint needs",
                     429: "Too many failed credentials from this client"})
    statuses.update(endpoint.errors)
    return {status: {"description": text, "model": ErrorBody}
            for status, text in sorted(statuses.items())}


class Batcher:
    """Groups the requests of one endpoint that arrive while its model is busy (``Batch``)."""

    def __init__(self, batch: Batch, max_size: int, placement: Placement,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self.batch = batch
        self.max_size = max_size
        self.placement = placement
        """Where a batch runs: a short one on the event loop, a long one in the pool."""
        self.on_batch = on_batch
        """Told the size of every model run (a metric)."""
        self._waiting: list[tuple[Loaded[Any], Received[Any], asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether a batch is running or waiting."""
        return self._draining is not None

    async def submit(self, loaded: Loaded[Any], received: Received[Any]) -> Any:
        """The request's result from ``batch.run``, computed with whatever came with it."""
        result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((loaded, received, result))
        if self._draining is None:
            # A context of its own: the batch serves many requests, so it must not run under
            # the first one's deadline or stop when that one's client leaves.
            self._draining = asyncio.create_task(self._drain(), context=contextvars.Context())
        return await result

    async def _drain(self) -> None:
        try:
            while self._waiting:
                # One model per run: requests that took the previous version before a swap
                # go in a run of their own.
                model = self._waiting[0][0]
                group = [item for item in self._waiting if item[0] is model][:self.max_size]
                chosen = {id(item) for item in group}
                self._waiting = [item for item in self._waiting if id(item) not in chosen]
                await self._run(model, group)
        finally:
            self._draining = None

    async def _run(self, model: Loaded[Any],
                   group: list[tuple[Loaded[Any], Received[Any], asyncio.Future[Any]]]) -> None:
        failure: Exception | None = None
        results: list[Any] = []
        if self.on_batch is not None:
            self.on_batch(len(group))
        try:
            requests = [received for _, received, _ in group]
            results = await self.placement.run([received.size for received in requests],
                                               self.batch.run, model, requests)
            if len(results) != len(group):
                raise RuntimeError(f"a batch of {len(group)} gave {len(results)} results")
        except Exception as exc:
            if len(group) > 1:  # find the request at fault: each alone
                for item in group:
                    await self._run(model, [item])
                return
            failure = exc
        for position, (_, _, waiting) in enumerate(group):
            if waiting.done():  # its client left meanwhile
                continue
            if failure is not None:
                waiting.set_exception(failure)
            else:
                waiting.set_result(results[position])


def mount(router: APIRouter, endpoint: Endpoint, *, service: str, live: LiveModel[Any],
          sink: PredictionSink, max_upload_bytes: int, batch_size: int | None = None,
          on_batch: Callable[[int], None] | None = None, inline_seconds: float = 0.0
          ) -> APIRoute:
    """Add ``endpoint`` to ``router`` on the shared prediction path; the route it made.

    Mount on the application's own router: the route serves through a handler of its own
    (below), which ``include_router`` would not copy. ``batch_size``: the largest batch when
    the endpoint declares batching (``None``: its own ``max_size``; 0: no batching);
    ``on_batch`` is told the size of each batch run. A CPU-bound model call (one request's or
    a batch's) runs on the event loop when it is predicted to take under ``inline_seconds``
    (``placement.py``).
    """
    codec = endpoint.request
    placement = Placement(inline_seconds)
    batcher = None
    if endpoint.batch is not None and batch_size != 0:
        batcher = Batcher(endpoint.batch, batch_size or endpoint.batch.max_size, placement,
                          on_batch)

    in_flight = 0
    ran_alone_this_turn = False
    """Whether a request ran its model alone on the event loop in the current loop turn."""

    def next_turn() -> None:
        nonlocal ran_alone_this_turn
        ran_alone_this_turn = False

    async def handle(request: Request) -> Response:
        nonlocal in_flight
        in_flight += 1
        try:
            return await answer_one(request)
        finally:
            in_flight -= 1

    async def answer_one(request: Request) -> Response:
        nonlocal ran_alone_this_turn
        received = await codec.read(request, max_upload_bytes)
        loaded = live.current()
        started = time.perf_counter()
        outcome: Answer | Awaitable[Answer]
        inline = placement.inline([received.size])
        if batcher is not None and in_flight == 1 and not batcher.busy and inline:
            # A call run on the event loop never lets requests that arrived with this one
            # start: they are scheduled, not yet in flight. When another request already
            # ran alone in this turn of the loop, requests are arriving together: one turn
            # lets the rest reach the batcher, so they share one model call. A lone client
            # never meets that case and skips the turn (a poll of the sockets, 4% of a short
            # resume's request at c1).
            if ran_alone_this_turn:
                await asyncio.sleep(0)
            else:
                ran_alone_this_turn = True
                asyncio.get_running_loop().call_soon(next_turn)
        # A request alone (nothing else in flight, no batch running) is answered directly:
        # the hop to a batch thread would only add latency. With company, it joins a batch.
        if batcher is not None and (in_flight > 1 or batcher.busy):
            result = await batcher.submit(loaded, received)
            outcome = batcher.batch.finish(loaded, received, result)
        elif endpoint.cpu_bound and endpoint.batch is not None:
            # The model where ``placement`` says, the answer (which may await I/O) on the loop.
            [result] = await placement.run([received.size], endpoint.batch.run, loaded,
                                           [received], inline=inline)
            outcome = endpoint.batch.finish(loaded, received, result)
        elif endpoint.cpu_bound:
            outcome = await placement.run([received.size], endpoint.predict, loaded, received,
                                          inline=inline)
        else:
            outcome = endpoint.predict(loaded, received)
        answer = await outcome if inspect.isawaitable(outcome) else outcome
        latency_ms = (time.perf_counter() - started) * 1000
        sink.record(service=service, model_version=loaded.version,
                    request_id=answer.log_id or request_id(), inputs=answer.inputs,
                    outputs=answer.outputs, latency_ms=latency_ms)
        return Response(orjson.dumps(answer.body), media_type="application/json",
                        headers={"X-Model-Version": f"{service}:{loaded.version}",
                                 **answer.headers})

    success: dict[str, Any] = {"description": "The prediction", "headers": {
        "X-Model-Version": {"description": "`<service>:<version>` of the model that answered",
                            "schema": {"type": "string"}},
        **{name: {"description": text, "schema": {"type": "string"}}
           for name, text in endpoint.response_headers.items()}}}
    if endpoint.response_example is not None:
        success["content"] = {"application/json": {"example": endpoint.response_example}}
    router.add_api_route(
        endpoint.path, handle, methods=[endpoint.method], summary=endpoint.summary,
        tags=[service],
        description=endpoint.description, response_model=endpoint.response,
        responses={200: success, **_errors(endpoint)},
        dependencies=[Depends(endpoint.access)],
        openapi_extra={**codec.openapi(endpoint.examples), EXTENSION: {
            "service": service, "request": codec.kind, "options": [
                option.name for option in codec.options],
            "examples": [{"summary": example.summary, "value": example.value,
                          "query": dict(example.query)} for example in endpoint.examples]}})
    route = router.routes[-1]
    assert isinstance(route, APIRoute)
    # FastAPI keeps the route's documentation (schemas, examples, its declared access rule);
    # serving skips its dependency solver: the access check and ``handle`` are all there is
    # to run, and the solver cost more than the rest of a lookup's path.
    access = endpoint.access

    async def serve(request: Request) -> Response:
        await access(request)
        return await handle(request)

    route.app = request_response(serve)
    return route
