"""Steady concurrent traffic on every service of a running server, recording each answer.

Used by the hot-swap test (which checks every answer's ``X-Model-Version`` against the live
alias history) and by the worker benchmark (throughput with mixed traffic).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

PREDICTION = "x-modelworks-prediction"


@dataclass(frozen=True)
class Call:
    """One request that a service answers with ``X-Model-Version``."""

    service: str
    method: str
    path: str
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None


def calls_for_every_service(openapi: dict[str, Any],
                            path_values: dict[str, str] | None = None) -> list[Call]:
    """A valid request per prediction operation: its first declared example (from the API).

    ``path_values`` replaces example path values the data may not hold (a user handle).
    """
    calls = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            marker = operation.get(PREDICTION)
            if not marker or not marker["examples"]:
                continue
            example = marker["examples"][0]
            if marker["request"] == "path":
                values = {**example["value"], **(path_values or {})}
                calls.append(Call(marker["service"], method.upper(), path.format(**values)))
            elif marker["request"] == "csv":
                calls.append(Call(marker["service"], method.upper(), path, files={
                    "file": ("data.csv", example["value"].encode(), "text/csv")}))
            else:
                calls.append(Call(marker["service"], method.upper(), path,
                                  json=example["value"]))
    return calls


@dataclass(frozen=True)
class Answer:
    """What one request got back, with monotonic start and end times."""

    service: str
    status: int
    version: int | None
    started: float
    finished: float


@dataclass
class Traffic:
    """Answers collected so far; ``errors`` holds transport failures (refused, reset, timeout)."""

    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def _version(header: str | None) -> int | None:
    if not header or ":" not in header:
        return None
    return int(header.rsplit(":", 1)[1])


async def _client_loop(client: httpx.AsyncClient, calls: Iterator[Call],
                       traffic: Traffic) -> None:
    while not traffic.stop.is_set():
        call = next(calls)
        started = time.monotonic()
        try:
            response = await client.request(call.method, call.path, json=call.json,
                                             files=call.files)
        except httpx.HTTPError as exc:
            traffic.errors.append(f"{call.service}: {type(exc).__name__}: {exc}")
            continue
        traffic.answers.append(Answer(call.service, response.status_code,
                                      _version(response.headers.get("x-model-version")),
                                      started, time.monotonic()))


async def _drive(url: str, headers: dict[str, str], calls: list[Call], concurrency: int,
                 traffic: Traffic, fresh_connections: bool) -> None:
    # A new connection per request spreads requests over the workers (the kernel picks the
    # accepting one) but leaves a socket in TIME_WAIT each: fine for a test, not for a long run.
    limits = httpx.Limits(max_keepalive_connections=0 if fresh_connections else concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30,
                                 limits=limits) as client:
        await asyncio.gather(*(
            _client_loop(client, itertools.islice(itertools.cycle(calls), offset, None),
                         traffic)
            for offset in range(concurrency)))


@contextmanager
def steady_traffic(url: str, headers: dict[str, str], calls: list[Call],
                   concurrency: int = 8, *, fresh_connections: bool = True) -> Iterator[Traffic]:
    """Send ``calls`` round-robin from ``concurrency`` clients until the block ends."""
    if not calls:
        raise ValueError("steady_traffic needs at least one call")
    traffic = Traffic()
    thread = threading.Thread(
        target=lambda: asyncio.run(_drive(url, headers, calls, concurrency, traffic,
                                          fresh_connections)),
        name="steady-traffic", daemon=True)
    thread.start()
    try:
        yield traffic
    finally:
        traffic.stop.set()
        thread.join(timeout=60)
