"""One request cannot take the machine: row and text caps, a deadline, and work that stops
when the client leaves (issue 15, item 4). Caps are set small here so the tests stay quick.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import Settings
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings
from tests.reliability.conftest import uvicorn_thread

WORDS = ["saw", "drill", "hammer", "wood", "metal", "garden", "tool", "blade", "handle",
         "cordless", "battery", "steel", "grip", "cut", "trim", "build", "repair", "light",
         "heavy", "outdoor", "indoor", "kitchen", "knife"]


def descriptions(count: int, words: int, salt: str) -> list[str]:
    """Distinct long texts (each new to the embedding cache)."""
    return [f"{salt} {i} " + " ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(words))
            for i in range(count)]


def started(tmp_path_factory: pytest.TempPathFactory, assets: MiniLMAssets, registries: list[Path],
            **overrides: object) -> tuple[Settings, object]:
    home = tmp_path_factory.mktemp("caps")
    for registry in registries:
        copy_registry(registry, home)
    settings = make_settings(home, assets, services=["genres", "similarity"], **overrides)
    return settings, create_app(settings)


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
           genres_registry: Path, similarity_registry: Path) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:  # the similarity caps as an operator sets them
        env.setenv("MODELWORKS_SIMILARITY__MAX_TEXTS", "40")
        env.setenv("MODELWORKS_SIMILARITY__MAX_PAIRS", "60")
        _, app = started(tmp_path_factory, minilm_assets,
                         [genres_registry, similarity_registry],
                         service_options={"genres": {"max_predict_rows": 50}})
    with uvicorn_thread(app) as url:  # type: ignore[arg-type]
        yield url


@pytest.fixture(scope="module")
def patient(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
            genres_registry: Path, similarity_registry: Path) -> Iterator[str]:
    _, app = started(tmp_path_factory, minilm_assets, [genres_registry, similarity_registry])
    with uvicorn_thread(app) as url:  # type: ignore[arg-type]
        yield url


def rows(count: int) -> bytes:
    return ("movie_id,synopsis\n" + "".join(
        f"{i},A detective hunts a killer through the city on night {i}.\n"
        for i in range(count))).encode()


def test_a_csv_past_the_row_cap_is_a_413_naming_it(capped: str) -> None:
    fine = httpx.post(f"{capped}/genres/predict", files={"file": ("a.csv", rows(50))})
    assert fine.status_code == 200
    refused = httpx.post(f"{capped}/genres/predict", files={"file": ("a.csv", rows(51))})
    assert refused.status_code == 413
    assert "MODELWORKS_GENRES__MAX_PREDICT_ROWS" in refused.json()["error"]


@pytest.mark.parametrize(("queries", "products", "setting"), [
    (1, 40, "MODELWORKS_SIMILARITY__MAX_TEXTS"), (7, 9, "MODELWORKS_SIMILARITY__MAX_PAIRS"),
])
def test_similarity_past_its_caps_is_a_413_naming_them(capped: str, queries: int,
                                                       products: int, setting: str) -> None:
    body = {"queries": [f"query {i}" for i in range(queries)],
            "product_descriptions": [f"product {i}" for i in range(products)]}
    refused = httpx.post(f"{capped}/predict", json=body)
    assert refused.status_code == 413
    assert setting in refused.json()["error"]


def test_work_past_the_deadline_stops_with_a_503(tmp_path_factory: pytest.TempPathFactory,
                                                minilm_assets: MiniLMAssets,
                                                genres_registry: Path,
                                                similarity_registry: Path) -> None:
    # A deadline every request misses: the encoder's first check stops it, on any machine.
    _, app = started(tmp_path_factory, minilm_assets, [genres_registry, similarity_registry],
                     request_timeout_seconds=0.000_001)
    body = {"queries": ["a tool"], "product_descriptions": descriptions(38, 300, "deadline")}
    with uvicorn_thread(app) as url:  # type: ignore[arg-type]
        response = httpx.post(f"{url}/predict", json=body, timeout=60)
        csv = httpx.post(f"{url}/genres/predict", files={"file": ("a.csv", rows(5))})
    assert response.status_code == csv.status_code == 503
    assert "MODELWORKS_REQUEST_TIMEOUT_SECONDS" in response.json()["error"]


def requests_with_status(url: str, status: int) -> float:
    found = re.search(rf'^modelworks_http_requests_total{{method="POST",route="/predict",'
                      rf'status="{status}"}} (\S+)$', httpx.get(f"{url}/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0


def test_work_stops_when_the_client_goes_away(patient: str) -> None:
    body = orjson.dumps({"queries": ["a tool"],
                         "product_descriptions": descriptions(900, 300, "gone")})
    parts = urlsplit(patient)
    sock = socket.create_connection((parts.hostname or "", parts.port or 0))
    sock.sendall(f"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    time.sleep(1.0)  # the encoder is busy with the first batches now
    sock.close()
    deadline = time.monotonic() + 20
    while requests_with_status(patient, 499) < 1:  # 900 texts take far longer than this
        assert time.monotonic() < deadline, "the work went on after the client left"
        time.sleep(0.2)
