"""The dashboard's settings pointed at the shared running API (see tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import RunningApi


@pytest.fixture
def dashboard_env(running_api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> RunningApi:
    """The dashboard's settings point at the running API and its home."""
    monkeypatch.setenv("MODELWORKS_HOME", str(running_api.home))
    monkeypatch.setenv("MODELWORKS_API_URL", running_api.url)
    return running_api
