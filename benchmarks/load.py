"""A small HTTP/1.1 load generator: many kept-alive connections, GET only, on asyncio streams.

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


async def _worker(host: str, port: int, paths: Iterator[str], headers: str, deadline: float,
                  latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            path = next(paths)
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if b" 200 " not in status_line:
                errors.append(1)
    finally:
        writer.close()


def run_load(host: str, port: int, paths: list[str], *, connections: int, seconds: float,
             headers: dict[str, str]) -> LoadResult:
    """GET ``paths`` round-robin over ``connections`` connections for ``seconds``."""
    header_text = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    cycle = itertools.cycle(paths)
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_worker(host, port, cycle, header_text, deadline, latencies,
                                       errors) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return LoadResult(len(latencies), len(errors), elapsed, latencies)
