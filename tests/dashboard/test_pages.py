"""Every dashboard page driven with Streamlit's AppTest against a real running API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from streamlit.testing.v1 import AppTest

import modelworks.dashboard
from tests.conftest import RunningApi

PAGES = Path(modelworks.dashboard.__file__).parent / "views"
TIMEOUT = 120


def page(name: str) -> AppTest:
    app = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_explore_shows_balance_lengths_terms_and_samples(dashboard_env: RunningApi) -> None:
    app = page("explore")
    assert app.title[0].value == "Explore the training resumes"
    assert app.metric[0].value == "1600"
    headers = [h.value for h in app.header]
    assert headers == ["Class balance", "Length per category", "Top terms per category",
                       "Sample browser"]
    balance, lengths, terms = (table.value for table in app.dataframe[:3])
    assert balance["resumes"].sum() == 1600
    assert len(lengths) == 14
    assert len(set(terms["top terms"])) == 14  # every category its own list
    assert "informatica" in terms.loc["Informatica Developer", "top terms"].split(", ")
    assert "sap" in terms.loc["SAP", "top terms"].split(", ")
    app.selectbox[0].set_value("Oracle DBA").run()
    assert not app.exception
    assert app.text[-1].value.strip()  # the chosen resume's text


def test_training_runs_a_job_shows_its_evaluation_and_promotes(
        dashboard_env: RunningApi) -> None:
    app = page("training")
    app.selectbox[0].set_value("naive-bayes")
    app.text_input[0].input("baseline from the dashboard")
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    message = app.success[0].value
    assert "naive-bayes trained" in message
    assert "registered as version 2" in message
    assert len(app.dataframe) >= 3  # metrics, per-category report, versions
    per_class = app.dataframe[1].value
    assert len(per_class) == 14
    versions = app.dataframe[-1].value
    assert list(versions.index) == [1, 2]
    assert versions.loc[2, "name"] == "baseline from the dashboard"

    promote = app.selectbox(key="promote-resumes")
    promote.set_value(2)
    app.button(key="promote-button-resumes").click().run()
    assert "version 2 of resumes is live" in app.success[-1].value
    status = httpx.get(f"{dashboard_env.url}/models/resumes", headers=dashboard_env.headers)
    assert status.json()["live"] == 2
    httpx.put(f"{dashboard_env.url}/models/resumes/live", json={"version": 1},
              headers=dashboard_env.headers).raise_for_status()


def test_inference_classifies_a_sample_and_lists_the_history(dashboard_env: RunningApi) -> None:
    app = page("inference")
    assert app.selectbox[0].value == "generated: .Net Developer"  # a sample, ready to send
    app.selectbox[0].set_value("generated: Oracle DBA").run()
    app.button[0].click().run()
    assert not app.exception
    assert app.metric[0].value == "Oracle DBA"
    history = app.dataframe[-1].value
    assert history.iloc[0]["category"] == "Oracle DBA"
    stored = httpx.get(f"{dashboard_env.url}/api/predictions", params={"limit": 1},
                       headers=dashboard_env.headers).json()["items"][0]
    assert stored["prediction_id"] == history.index[0]

    app.selectbox[0].set_value("paste my own text").run()
    app.button[0].click().run()  # empty text: the API's 400, shown, not raised
    assert not app.exception
    assert "text is empty" in app.error[0].value


def expander(app: AppTest, service: str) -> Any:
    return next(e for e in app.expander if e.label.startswith(f"{service} · "))


def test_services_page_shows_live_models_and_tries_a_request(dashboard_env: RunningApi) -> None:
    app = page("services")
    labels = [expander.label for expander in app.expander]
    assert any(label.startswith("movies · live version 1") for label in labels)
    assert any(label.startswith("resumes · live version") for label in labels)
    # One form per prediction operation, prefilled from the API's examples.
    assert app.text_area(key="genres-0-body").value.startswith("movie_id,synopsis")
    app.button(key="movies-0-go").click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    live_metrics, recommendations = (table.value for table in expander(app, "movies").dataframe)
    assert len(live_metrics) == 1  # the live version's metrics, one row
    assert len(recommendations) == 10

    app.button(key="genres-0-go").click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    genres = expander(app, "genres").dataframe[-1].value
    assert genres.shape == (2, 5)  # the example's two movies, five genres each
    assert {"Crime", "Thriller"} & set(genres.loc["2"])  # the detective hunting a killer
