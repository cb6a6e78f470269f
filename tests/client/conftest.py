"""The client's tests talk to ``full_api`` (tests/conftest.py) with its admin key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelworks.client import Client
from tests.conftest import RunningApi


@pytest.fixture
def api(full_api: RunningApi) -> Iterator[Client]:
    """A client with the admin key."""
    with Client(full_api.url, api_key=full_api.headers["X-API-Key"]) as client:
        yield client
