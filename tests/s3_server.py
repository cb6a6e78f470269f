"""moto's S3 API server on a free local port, as a registry at an ``s3://`` URL talks to S3.

The server is moto's own WSGI app under werkzeug, as ``moto.server.ThreadedMotoServer``
runs it, with two additions the race tests need:

- It applies one request at a time. S3 applies each conditional write atomically; moto
  checks the condition and then stores the object in two steps, on many threads, so two
  racing creates could both pass the check. Clients still interleave their requests freely.
- ``hold_writes`` holds back writes to matching keys until that many have arrived, then lets
  them through in turn: every one of them was computed from the same state, so a race that
  could otherwise end before it began always happens.

It also counts what it answered (``requests``), so a test can tell a cache hit from a fetch
and see the 412s of lost races.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


@dataclass(frozen=True)
class Answered:
    """One request the server answered."""

    method: str
    path: str
    status: int
    conditional: bool


@dataclass
class _Hold:
    pattern: str
    barrier: threading.Barrier
    waiting: int = 0


@dataclass
class S3Server:
    """A running server: its endpoint and what it answered."""

    endpoint: str
    requests: list[Answered] = field(default_factory=list)
    _hold: _Hold | None = None
    _hold_lock: threading.Lock = field(default_factory=threading.Lock)

    def refused_creates(self, pattern: str = "") -> int:
        """How many create-only writes (to a path containing ``pattern``) got 412."""
        return sum(1 for r in self.requests
                   if r.conditional and r.status == 412 and pattern in r.path)

    def gets(self, pattern: str) -> int:
        """How many object reads of a path containing ``pattern`` were answered with a body."""
        return sum(1 for r in self.requests
                   if r.method == "GET" and r.status in (200, 206) and pattern in r.path)

    @contextmanager
    def hold_writes(self, pattern: str, parties: int = 2) -> Iterator[None]:
        """Hold the first ``parties`` writes to a path containing ``pattern`` until all came."""
        self._hold = _Hold(pattern, threading.Barrier(parties, timeout=30))
        try:
            yield
        finally:
            self._hold = None

    def _wait_if_held(self, method: str, path: str) -> None:
        hold = self._hold
        if hold is None or method != "PUT" or hold.pattern not in path:
            return
        with self._hold_lock:
            if hold.waiting >= hold.barrier.parties:
                return  # the race was run; retries go straight through
            hold.waiting += 1
        hold.barrier.wait()


@contextmanager
def moto_s3_server() -> Iterator[S3Server]:
    """Start the server on 127.0.0.1; stop it afterwards."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    moto = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()
    server: S3Server | None = None

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        assert server is not None
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        conditional = method == "PUT" and environ.get("HTTP_IF_NONE_MATCH") == "*"
        server._wait_if_held(method, path)
        status: list[int] = []

        def recording_start(code: str, headers: Any, *args: Any) -> Any:
            status.append(int(code.split()[0]))
            return start_response(code, headers, *args)

        with one_at_a_time:
            body = list(moto(environ, recording_start))
            server.requests.append(Answered(method, path, status[0], conditional))
        return body

    http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    server = S3Server(f"http://127.0.0.1:{http.server_port}")
    thread = threading.Thread(target=http.serve_forever, name="moto-s3", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        thread.join(timeout=10)
