"""``serve --ray``'s ingress: which deployment owns each path, and the merged ``/readyz``.

The route table is read from real apps of every service; the full path through Ray runs in
``tests/contracts --serve-ray`` and ``tests/cluster``.
"""

from __future__ import annotations

import json

import pytest

from modelworks.core.plugins import load_services
from modelworks.core.settings import Settings
from modelworks.server.app import create_app
from modelworks.server.cluster.forward import Answered
from modelworks.server.cluster.routing import Destination, Kind, RouteTable


@pytest.fixture
def table(settings: Settings) -> RouteTable:
    services = load_services(settings, None)
    return RouteTable({name: create_app(settings, {name: service})
                       for name, service in services.items()}, create_app(settings, {}))


@pytest.mark.parametrize(("method", "path", "query", "expected"), [
    ("POST", "/genres/predict", b"", Destination(Kind.SERVICE, "genres", retry_safe=True)),
    ("POST", "/predict", b"", Destination(Kind.SERVICE, "similarity", retry_safe=True)),
    ("POST", "/api/recommend", b"", Destination(Kind.SERVICE, "movies", retry_safe=True)),
    ("GET", "/interests/someone", b"", Destination(Kind.SERVICE, "interests", True)),
    ("POST", "/genres/train", b"", Destination(Kind.SERVICE, "genres", retry_safe=False)),
    ("PUT", "/models/resumes/live", b"", Destination(Kind.SERVICE, "resumes", False)),
    ("POST", "/models/movies/train", b"", Destination(Kind.SERVICE, "movies", False)),
    ("GET", "/monitoring/similarity", b"", Destination(Kind.SERVICE, "similarity", True)),
    ("GET", "/predictions", b"service=resumes&limit=5",
     Destination(Kind.SERVICE, "resumes", True)),
    ("GET", "/models", b"", Destination(Kind.MERGED)),
    ("GET", "/readyz", b"", Destination(Kind.MERGED)),
    ("GET", "/", b"", Destination(Kind.LOCAL)),
    ("GET", "/openapi.json", b"", Destination(Kind.LOCAL)),
    ("GET", "/docs/assets/swagger-ui.css", b"", Destination(Kind.LOCAL)),
    ("GET", "/metrics", b"", Destination(Kind.LOCAL)),
    ("GET", "/no/such/route", b"", Destination(Kind.LOCAL)),
])
def test_each_path_goes_to_its_owner(table: RouteTable, method: str, path: str, query: bytes,
                                     expected: Destination) -> None:
    assert table.destination(path, query, method) == expected


def test_core_routes_that_name_no_service_go_to_an_enabled_one(table: RouteTable) -> None:
    for path in ("/whoami", "/keys", "/jobs", "/api/authenticate", "/models/nope"):
        where = table.destination(path, b"", "GET")
        assert where.kind is Kind.SERVICE
        assert where.service in table.services


def test_readiness_merges_every_deployment() -> None:
    pytest.importorskip("ray")
    from modelworks.server.cluster.deployments import merge_readiness

    def answer(status: int, body: dict[str, object]) -> Answered:
        return Answered(status, [(b"content-type", b"application/json")],
                        json.dumps(body).encode())

    ready = merge_readiness([
        answer(200, {"status": "ready", "services": {"genres": 3}, "database": "ok",
                     "spooled": 0}),
        answer(200, {"status": "degraded", "services": {"movies": 1},
                     "database": "unreachable", "spooled": 4})])
    assert ready.status == 200
    assert json.loads(ready.body) == {"status": "degraded",
                                      "services": {"genres": 3, "movies": 1},
                                      "database": "unreachable", "spooled": 4}
    assert ready.header("content-length") == str(len(ready.body))
    waiting = merge_readiness([
        answer(200, {"status": "ready", "services": {"genres": 3}, "database": "ok",
                     "spooled": 0}),
        answer(503, {"status": "not ready", "services": {"movies": "no live model loaded"},
                     "database": "ok", "spooled": 0})])
    assert waiting.status == 503
    assert json.loads(waiting.body)["services"] == {"movies": "no live model loaded"}
