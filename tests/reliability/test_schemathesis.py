"""Schemathesis against the app's own OpenAPI document: no request it generates gets a 5xx.

A bounded run (a few examples per operation) on a real server with every service, in both
keyed and open auth, so validation, auth, limits and error mapping are all on the path.
``make chaos`` does not repeat it; the fault probe behind issue 15 ran about 16,000 requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings
from tests.reliability.conftest import uvicorn_thread

# Starting a training job (or preparing data for one) costs minutes and downloads; they are
# exercised by the job tests instead.
SLOW_OPERATIONS = ("/models/{service}/train", "/api/dataset")


@pytest.fixture(scope="module", params=[AuthMode.OFF, AuthMode.CONTRACT])
def api_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               minilm_assets: MiniLMAssets, genres_registry: Path, interests_registry: Path,
               movies_registry: Path, resumes_registry: Path,
               similarity_registry: Path) -> Iterator[schemathesis.BaseSchema]:
    home = tmp_path_factory.mktemp("schemathesis")
    for registry in (genres_registry, interests_registry, movies_registry, resumes_registry,
                     similarity_registry):
        copy_registry(registry, home)
    settings = make_settings(home, minilm_assets, auth=request.param, auth_max_failures=10_000,
                             request_timeout_seconds=20)
    with uvicorn_thread(create_app(settings)) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        yield schema.exclude(path=list(SLOW_OPERATIONS))


def test_no_generated_request_gets_a_server_error(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @hypothesis_settings(max_examples=8, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
