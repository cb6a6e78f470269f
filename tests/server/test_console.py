"""The console's routes, through the typed client against a real app: who is calling, keys,
versions and their reports, rollback, the prediction log and monitoring."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelworks.client import ApiError, Client
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.registry import Registry
from modelworks.server.app import create_app
from tests.conftest import home_with_registries, make_settings, register_copy

RESUME = "Senior Python developer: Django REST APIs, PostgreSQL, Docker, AWS, code review."


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
            resumes_registry: Path, similarity_registry: Path) -> Iterator[Client]:
    """An admin's client of a server with a resumes and a similarity model, auth required."""
    home = home_with_registries(tmp_path_factory.mktemp("console-home"), resumes_registry,
                                similarity_registry)
    settings = make_settings(home, minilm_assets, services=["resumes", "similarity"],
                             auth="required", log_flush_seconds=0.05)
    with TestClient(create_app(settings)) as http:
        admin = settings.admin_key_file.read_text().strip()
        with Client(str(http.base_url), api_key=admin, http=http) as client:
            yield client


def as_key(admin: Client, key: str) -> Client:
    """Another client on the same server, with ``key``."""
    return Client(admin.base_url, api_key=key, http=admin._http.http)


def test_whoami_tells_each_key_its_scopes(console: Client) -> None:
    me = console.whoami()
    assert me.scopes == ["admin"]
    assert me.auth == "required"
    reader = console.create_key(["predict"], name="front end")
    them = as_key(console, reader.key).whoami()
    assert (them.key_id, them.name, them.scopes) == (reader.key_id, "front end", ["predict"])
    assert not them.allows("train")
    with pytest.raises(ApiError) as refused:
        as_key(console, "mw_nothing_here").whoami()
    assert refused.value.status == 401


def test_keys_are_listed_without_secrets_rotated_and_revoked(console: Client) -> None:
    made = console.create_key(["predict", "history"], name="analyst")
    listed = {key.key_id: key for key in console.api_keys()}
    assert listed[made.key_id].scopes == ["history", "predict"]
    assert listed[made.key_id].revoked_at is None
    assert made.key not in str([key.model_dump() for key in listed.values()])
    with pytest.raises(ApiError) as forbidden:
        as_key(console, made.key).models()
    assert forbidden.value.status == 403

    rotated = console.rotate_key(made.key_id)
    assert (rotated.name, rotated.scopes) == ("analyst", ["history", "predict"])
    assert as_key(console, rotated.key).whoami().key_id == rotated.key_id
    assert console.revoke_key(rotated.key_id)
    revoked_at = {key.key_id: key.revoked_at for key in console.api_keys()}
    assert revoked_at[made.key_id]
    assert revoked_at[rotated.key_id]
    # A key verified a moment ago is remembered for a few seconds; then it is refused.
    deadline = time.monotonic() + 15
    with pytest.raises(ApiError) as refused:  # noqa: PT012 - the refusal comes within seconds
        while time.monotonic() < deadline:
            as_key(console, rotated.key).whoami()
            time.sleep(0.5)
    assert refused.value.status == 401
    with pytest.raises(ApiError) as missing:
        console.rotate_key("nosuchkey")
    assert missing.value.status == 404


def test_a_key_without_scopes_is_refused_with_the_field(console: Client) -> None:
    with pytest.raises(ApiError) as refused:
        console.create_key([], name="empty")
    assert refused.value.status == 400
    with pytest.raises(ApiError) as unknown:
        console.create_key(["superuser"])
    assert unknown.value.status == 400


def test_a_version_shows_its_evaluation_and_serves_its_report(console: Client) -> None:
    status = console.model("resumes")
    live = next(version for version in status.versions if version.live)
    assert live.version == status.live
    assert live.kind == "tfidf-logistic"
    assert len(live.data_sha256) == 64
    assert live.reports == ["confusion_matrix.png"]
    detail = console.version("resumes", live.version)
    assert detail.evaluation["categories"]
    assert detail.evaluation["confusion_matrix"]
    assert detail.gate is not None
    assert detail.gate.passed
    assert detail.holdout_rows
    assert console.report("resumes", live.version, "confusion_matrix.png")[:4] == b"\x89PNG"
    with pytest.raises(ApiError) as missing:
        console.report("resumes", live.version, "model.json")
    assert missing.value.status == 404
    assert "confusion_matrix.png" in missing.value.message


def test_promote_then_roll_back_moves_the_live_version(console: Client,
                                                       tmp_path: Path) -> None:
    before = console.model("similarity").live
    assert before is not None
    registry_root = Path(_home_of(console)) / "registry"
    copy = register_copy(Registry(registry_root), "similarity")
    promoted = console.promote("similarity", copy)
    assert promoted.live == copy
    assert [v.version for v in promoted.versions if v.live] == [copy]
    rolled = console.rollback("similarity")
    assert rolled.live == before
    assert rolled.loaded == before  # this worker swapped at once
    with pytest.raises(ApiError) as nothing_earlier:
        console.rollback("similarity")
    assert nothing_earlier.value.status == 404


def _home_of(console: Client) -> str:
    app = console._http.http.app  # type: ignore[attr-defined]
    return str(app.state.settings.home)


def test_the_prediction_log_and_monitoring_of_a_service(console: Client) -> None:
    for _ in range(3):
        console.classify_resume(RESUME)
    console.rank_products(["a warm winter jacket"], ["down parka for cold weather",
                                                    "garden hose, 20 m"], min_score=-1.0)
    with pytest.raises(ApiError):
        console.request("POST", "/api/inference", json={"text": ""})
    deadline = time.monotonic() + 10
    while (len(console.predictions("resumes").predictions) < 3  # the log writes in batches
           or not console.predictions("similarity").predictions):
        assert time.monotonic() < deadline
        time.sleep(0.1)

    page = console.predictions("resumes", limit=2)
    assert len(page.predictions) == 2
    newest = page.predictions[0]
    assert newest.id > page.predictions[1].id
    assert set(newest.output) == {"category", "probability"}
    assert "text" not in newest.input  # the log keeps a hash, never the resume
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert console.predictions("resumes", since=later).predictions == []
    assert console.predictions("resumes", version=999).predictions == []
    with pytest.raises(ApiError) as too_far:
        console.predictions("resumes", offset=19751608761057046528)
    assert too_far.value.status == 400

    watched = console.monitoring("resumes", minutes=5)
    assert watched.requests.total >= 3
    assert watched.requests.p50_ms is not None
    assert watched.errors["4xx"] >= 1
    assert sum(minute.predictions for minute in watched.timeline) == watched.requests.total
    assert watched.quality is not None
    assert watched.quality.name == "category probability"
    assert len(watched.quality.values) == watched.requests.total
    assert watched.quality.reference  # the live version's held-out probabilities
    assert watched.quality.drift is None  # too few recent values to compare

    search = console.monitoring("similarity", minutes=5).quality
    assert search is not None
    assert search.threshold == 0.3
    assert search.share_below is not None
    assert len(search.values) == 1


def test_history_needs_its_scope(console: Client) -> None:
    predictor = as_key(console, console.create_key(["predict"]).key)
    for call in (lambda: predictor.predictions(), lambda: predictor.monitoring("resumes")):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 403
    with pytest.raises(ApiError) as unknown:
        console.monitoring("resume")
    assert unknown.value.status == 404
    assert "resumes" in unknown.value.message
