"""A small HTTP/1.1 load generator: many kept-alive connections, GET or POST, on asyncio.

General clients (httpx, requests) spend more CPU per request than the server does here; on a
2-core machine the client would starve the server it measures. This one writes raw requests
and reads responses by Content-Length, so nearly all CPU goes to the server.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        """Latency at ``share`` (0-1) of the sorted latencies."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """The status line of one response, and whether the server keeps the connection open."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    length, chunked, keep_alive = 0, False, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and value == b"chunked":
            chunked = True
        elif name == b"connection" and value == b"close":
            keep_alive = False
    if not chunked:
        await reader.readexactly(length)
        return status_line, keep_alive
    while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
        await reader.readexactly(size + 2)
    await reader.readline()
    return status_line, keep_alive


async def _worker(host: str, port: int, requests: Iterator[bytes], deadline: float,
                  latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            raw = next(requests)
            started = time.perf_counter()
            writer.write(raw)
            try:
                status_line, keep_alive = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                errors.append(1)
                keep_alive = False
            else:
                latencies.append((time.perf_counter() - started) * 1000)
                if b" 200 " not in status_line:
                    errors.append(1)
            if not keep_alive:  # servers that close after each answer: a new connection
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def raw_request(host: str, path: str, headers: dict[str, str], body: bytes | None = None,
                content_type: str = "application/json") -> bytes:
    """One HTTP/1.1 request as bytes: a GET, or a POST of ``body`` when it is given."""
    lines = [f"{'GET' if body is None else 'POST'} {path} HTTP/1.1", f"Host: {host}",
             *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def run_load(host: str, port: int, paths: list[str], *, connections: int, seconds: float,
             headers: dict[str, str], bodies: list[bytes] | None = None,
             content_type: str = "application/json") -> LoadResult:
    """Send ``paths`` round-robin over ``connections`` connections for ``seconds``.

    GETs, or POSTs of ``bodies`` (one per path, as ``content_type``) when given.
    """
    requests = [raw_request(host, path, headers, bodies[i] if bodies else None, content_type)
                for i, path in enumerate(paths)]
    cycle = itertools.cycle(requests)
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_worker(host, port, cycle, deadline, latencies, errors)
                               for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return LoadResult(len(latencies), len(errors), elapsed, latencies)
