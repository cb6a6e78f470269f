"""Every error answer carries X-Request-ID and leaves the connection open (issue 15, item 6)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import APIRouter

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.server.app import create_app
from tests.conftest import make_settings
from tests.reliability.conftest import uvicorn_thread


class FaultyService:
    """A service whose one route fails with an error nobody expected."""

    name = "faulty"
    primary_metric = "none"

    def configure(self, settings: Any) -> None:
        """Nothing to configure."""

    def endpoints(self, context: Any) -> list[Any]:
        """No prediction endpoint."""
        return []

    def router(self, context: Any) -> APIRouter:
        router = APIRouter()

        @router.get("/faulty/boom")
        async def boom() -> dict[str, str]:
            raise RuntimeError("a bug")

        @router.get("/faulty/fine")
        async def fine() -> dict[str, str]:
            return {"status": "fine"}

        return router


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory,
            minilm_assets: MiniLMAssets) -> Iterator[tuple[str, int]]:
    settings = make_settings(tmp_path_factory.mktemp("faulty"), minilm_assets)
    app = create_app(settings, services={"faulty": FaultyService()})  # type: ignore[dict-item]
    with uvicorn_thread(app) as url:
        parts = urlsplit(url)
        yield parts.hostname or "", parts.port or 0


def test_an_unexpected_error_is_a_json_500_with_the_request_id_on_an_open_connection(
        address: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.request("GET", "/faulty/boom", headers={"X-Request-ID": "probe-1"})
    failed = connection.getresponse()
    body = failed.read()
    assert failed.status == 500
    assert failed.getheader("x-request-id") == "probe-1"
    assert b'"request_id":"probe-1"' in body
    assert not failed.will_close
    socket_before = connection.sock
    connection.request("GET", "/faulty/fine")
    fine = connection.getresponse()
    assert fine.status == 200
    assert fine.read() == b'{"status":"fine"}'
    assert connection.sock is socket_before  # the same keep-alive connection


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nowhere", 404), ("DELETE", "/healthz", 405), ("PUT", "/models/faulty/live", 400),
])
def test_every_error_status_carries_a_request_id(address: tuple[str, int], method: str,
                                                 path: str, status: int) -> None:
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.request(method, path, body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    assert response.status == status
    assert len(response.getheader("x-request-id") or "") == 32


def test_an_unprintable_request_id_is_replaced(address: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*address, timeout=10)
    connection.putrequest("GET", "/healthz")
    connection.putheader("X-Request-ID", "ok\x7fnot")
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    assert response.getheader("x-request-id") != "ok\x7fnot"


