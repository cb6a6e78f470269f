"""Seed 003, ML internship assignment: the API on :8000, the Streamlit dashboard on :9000.

The document's Inference section asks for predictions on its sample resumes, an endpoint that
saves each prediction result in a SQLite table, and the table's contents shown after each
inference run. The API keeps the template's route: ``POST /api/inference`` with
``{"text": ...}`` answering the label (0-13). The samples are the document's own
(``samples/*.txt``, in ../shared/datasets/resume-classifier).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.services.resumes.vocabulary import CATEGORIES
from tests.conftest import SHARED, RunningApi, dashboard_served
from tests.contracts.conftest import seed_document, stand_in

DOCUMENT = seed_document(3)
SAMPLES = sorted((SHARED / "resume-classifier" / "samples").glob("*.txt"))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
        resumes_registry: Path, serving: list[str]) -> Iterator[RunningApi]:
    with stand_in(tmp_path_factory, minilm_assets, "resumes", resumes_registry,
                  serving=serving) as server:
        yield server


def stored_rows(api: RunningApi) -> list[tuple[int, int, str]]:
    """(id, label, category) of every row in the SQLite table, read as any SQLite client."""
    with sqlite3.connect(api.home / "modelworks.db") as connection:
        return connection.execute("SELECT id, label, category FROM resume_predictions "
                                  "ORDER BY id").fetchall()


def test_the_document_names_the_ports_and_the_samples() -> None:
    assert "API : http://localhost:8000" in DOCUMENT
    assert "Streamlit Dashboard : http://localhost:9000" in DOCUMENT
    names = (line.strip("│├└─ ").strip() for line in DOCUMENT.splitlines())
    listed = {name for name in names if name.endswith(".txt")
              and name.removesuffix(".txt").isupper()}  # not api_pid.txt and the like
    assert {path.name for path in SAMPLES} == listed


def test_every_sample_is_classified_and_saved_in_a_sqlite_table(api: RunningApi) -> None:
    before = len(stored_rows(api))
    labels = []
    for sample in SAMPLES:
        response = httpx.post(f"{api.url}/api/inference",  # no key, as the dashboard sent it
                              json={"text": sample.read_text(encoding="utf-8")})
        assert response.status_code == 200, response.text
        label = response.json()
        assert isinstance(label, int)
        assert 0 <= label < len(CATEGORIES)
        labels.append(label)
    # Each answer left once its row was journaled; the row is in the table within the
    # writer's gathering interval (50 ms), so a reader of the table itself may wait that long.
    deadline = time.monotonic() + 5
    while len(rows := stored_rows(api)[before:]) < len(labels) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [label for _, label, _ in rows] == labels
    assert [category for _, _, category in rows] == [CATEGORIES[label] for label in labels]


def resumes_page(section: str, api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The dashboard's resumes page opened on ``section``, run once, talking to ``api``.

    The dashboard acts with the key it is given, never the home's: a local run passes it in
    ``MODELWORKS_API_KEY``.
    """
    logged_in(api, monkeypatch)
    page = AppTest.from_function(_resumes_page, default_timeout=300)
    page.session_state["open-resumes"] = section
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def logged_in(api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_HOME", str(api.home))
    monkeypatch.setenv("MODELWORKS_API_URL", api.url)
    monkeypatch.setenv("MODELWORKS_API_KEY", api.headers["X-API-Key"])


def _resumes_page() -> None:
    from modelworks.dashboard.views import service

    service.render("resumes")


def test_the_table_is_shown_after_an_inference_run(api: RunningApi,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    page = resumes_page("Try", api, monkeypatch)
    page.button[0].click().run()  # Send, with the example resume
    assert not page.exception, [e.value for e in page.exception]
    assert not page.error, [e.value for e in page.error]
    _, _, newest_category = stored_rows(api)[-1]
    assert newest_category in [metric.value for metric in page.metric]
    table = page.dataframe[-1].value  # the stored predictions, shown after the run
    assert table.iloc[0]["category"] == newest_category
    assert table.iloc[0]["id"] == table["id"].max()  # newest first


def test_the_dashboard_serves_its_page(api: RunningApi) -> None:
    with dashboard_served(api) as url:
        assert "<title>" in httpx.get(f"{url}/").text


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"text": 42}, 400, "text"), ({}, 400, "text"), ({"text": "   "}, 400, "text"),
    ({"text": "x" * 100_001}, 413, "text"),
])
def test_where_the_document_is_silent_errors_are_json_naming_the_field(
        api: RunningApi, body: dict[str, object], status: int, field: str) -> None:
    response = httpx.post(f"{api.url}/api/inference", json=body)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_the_history_api_is_no_part_of_the_document_and_needs_a_key(api: RunningApi) -> None:
    assert httpx.get(f"{api.url}/api/predictions").status_code == 401
    page = httpx.get(f"{api.url}/api/predictions", headers=api.headers).json()
    assert page["total"] == len(stored_rows(api))


def test_the_training_section_names_trains_scores_and_saves_a_pipeline(
        api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(api, monkeypatch)
    page = AppTest.from_function(_training_page, default_timeout=300).run()
    assert not page.exception, [e.value for e in page.exception]
    page.selectbox(key="train-service").set_value("resumes").run()
    page.selectbox[1].set_value("naive-bayes")
    page.text_input[0].input("naive_bayes_pipeline")  # the document's pipeline name
    assert page.checkbox[0].value  # serialize (register) the pipeline
    page.button[0].click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert not page.error, [e.value for e in page.error]
    status = httpx.get(f"{api.url}/models/resumes", headers=api.headers).json()
    new = status["versions"][-1]
    assert new["name"] == "naive_bayes_pipeline"
    assert f"registered as version {new['version']}" in page.success[0].value
    f1 = page.dataframe[-1].value["weighted_f1"].iloc[0]  # the F1 score
    assert 0.5 < f1 <= 1.0
    # Training ends on the version's page: its F1 and its confusion matrix.
    versions = resumes_page("Versions", api, monkeypatch)
    versions.selectbox(key="version-pick-resumes").set_value(new["version"]).run()
    assert not versions.exception, [e.value for e in versions.exception]
    drawn = [str(chart.proto.spec) for chart in versions.get("vega_lite_chart")]
    assert any("confusion matrix" in spec for spec in drawn), drawn
    assert any("weighted_f1" in frame.value.to_string() for frame in versions.dataframe)


def _training_page() -> None:
    from modelworks.dashboard.views import training

    training.render()
