"""Retries and errors of the client, against a small HTTP server whose behaviour the test sets:
a connection refused is retried, an answer (a 4xx above all) never is, and a request that may
have reached the server is sent again only when repeating it is harmless."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modelworks.client import ApiError, ApiUnreachable, Client
from modelworks.client.results import ServiceModels
from tests.conftest import free_port

MODELS = {"service": "genres", "primary_metric": "map@5", "live": 1, "loaded": 1,
          "versions": [{"version": 1, "created_at": "2026-01-01", "metrics": {"map@5": 0.5},
                        "rows": 10}]}


class Recorder(BaseHTTPRequestHandler):
    """Answers as ``server.behaviour`` says and records every request it read."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        status, body = self.server.behaviour(self)
        if status is None:  # hang up without an answer
            self.close_connection = True
            self.connection.close()
            return
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names


@contextmanager
def stand_in(behaviour: Any, port: int | None = None, delay: float = 0.0
             ) -> Iterator[tuple[str, list[Any]]]:
    """A server on ``port`` that starts listening after ``delay`` seconds."""
    port = port or free_port()
    seen: list[Any] = []
    ready = threading.Event()
    holder: dict[str, ThreadingHTTPServer] = {}

    def run() -> None:
        time.sleep(delay)
        server = ThreadingHTTPServer(("127.0.0.1", port), Recorder)
        server.seen = seen  # type: ignore[attr-defined]
        server.behaviour = behaviour  # type: ignore[attr-defined]
        holder["server"] = server
        ready.set()
        server.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        ready.wait(10)
        holder["server"].shutdown()
        holder["server"].server_close()


def test_a_refused_connection_is_retried_until_the_server_listens() -> None:
    with stand_in(lambda handler: (200, MODELS), delay=0.6) as (url, seen):
        with Client(url, api_key="mw_abc_secret", retries=5, backoff_seconds=0.2) as api:
            started = time.monotonic()
            status = api.model("genres")
        assert isinstance(status, ServiceModels)
        assert status.live == 1
        assert time.monotonic() - started >= 0.5  # it waited for the server, retrying
        assert len(seen) == 1  # one request reached it
        assert seen[0][2]["X-API-Key"] == "mw_abc_secret"


def test_an_answer_is_never_retried_and_its_words_are_kept() -> None:
    refusal = {"error": "invalid request: occupation: unknown", "field": "occupation"}
    with stand_in(lambda handler: (400, refusal)) as (url, seen), \
            Client(url, retries=5, backoff_seconds=0.01) as api, \
            pytest.raises(ApiError) as refused:
        api.recommend(25, "F", "astronaut")
    assert len(seen) == 1
    assert (refused.value.status, refused.value.field) == (400, "occupation")
    assert refused.value.message == "400: invalid request: occupation: unknown"
    assert refused.value.body == refusal


def test_nothing_listening_says_where_and_how_often_it_tried() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, retries=2, backoff_seconds=0.01) as api, \
            pytest.raises(ApiUnreachable) as unreachable:
        api.health()
    assert unreachable.value.status is None
    assert f"cannot reach the API at {url} after 3 tries" in unreachable.value.message


def test_a_post_that_may_have_arrived_is_not_sent_twice() -> None:
    """The server read the request and hung up: it may have acted, so a POST is not repeated;
    a GET is, since reading twice changes nothing."""
    with stand_in(lambda handler: (None, None)) as (url, seen), \
            Client(url, retries=3, backoff_seconds=0.01) as api:
        with pytest.raises(ApiUnreachable):
            api.classify_resume("a resume")
        assert [method for method, _, _ in seen] == ["POST"]
        with pytest.raises(ApiUnreachable):
            api.job("some-id")
        assert [method for method, _, _ in seen] == ["POST"] + ["GET"] * 4


def test_a_key_shaped_text_in_an_error_is_blanked() -> None:
    leaked = {"error": "bad credential mw_0123456789ab_s3cr3t-value"}
    with stand_in(lambda handler: (401, leaked)) as (url, _), Client(url) as api, \
            pytest.raises(ApiError) as refused:
        api.models()
    assert "s3cr3t" not in refused.value.message
    assert "mw_***" in refused.value.message
