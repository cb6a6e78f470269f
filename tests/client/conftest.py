"""A real server with all five services, for the client's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelworks.client import Client
from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import ALL_SERVICES, RunningApi, copy_registry, make_settings, served

TOKEN_TTL_SECONDS = 2


@pytest.fixture(scope="session")
def full_api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             genres_registry: Path, interests_registry: Path, movies_registry: Path,
             resumes_registry: Path, similarity_registry: Path) -> Iterator[RunningApi]:
    """Every service, auth required; tokens last 2 s, so a test sees one expire."""
    home = tmp_path_factory.mktemp("client-home")
    make_settings(home, minilm_assets)  # links the session's encoder assets
    for registry in (genres_registry, interests_registry, movies_registry, resumes_registry,
                     similarity_registry):
        copy_registry(registry, home)
    # Tests present wrong keys on purpose; the failure limit must not lock the others out.
    settings = {"MODELWORKS_TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
                "MODELWORKS_AUTH_MAX_FAILURES": "1000"}
    with served(home, ",".join(ALL_SERVICES), extra_env=settings) as url:
        yield RunningApi(url, home)


@pytest.fixture
def api(full_api: RunningApi) -> Iterator[Client]:
    """A client with the admin key."""
    with Client(full_api.url, api_key=full_api.headers["X-API-Key"]) as client:
        yield client
