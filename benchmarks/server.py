"""A real ``modelworks serve`` process for the benchmarks to measure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def running_server(home: Path, services: str, workers: int = 1) -> Iterator[int]:
    """Serve ``services`` from ``home`` on a free port until the block ends; yields the port."""
    with server_process(home, services, workers) as (port, _):
        yield port


@contextmanager
def server_process(home: Path, services: str, workers: int = 1) -> Iterator[tuple[int, int]]:
    """Like ``running_server``; yields the port and the server's process id."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "MODELWORKS_HOME": str(home), "MODELWORKS_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "modelworks", "serve", "--port", str(port),
               "--services", services, "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not become ready in 120 s")
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
