"""Every dashboard page driven with Streamlit's AppTest against a real server of every service.

Pages run one at a time (``AppTest.from_function``) with the key of ``MODELWORKS_API_KEY``;
the whole app runs from ``app.py`` for the login and the navigation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import modelworks.dashboard
from modelworks.dashboard.navigation import PAGES
from tests.dashboard.conftest import Console

APP = Path(modelworks.dashboard.__file__).parent / "app.py"
TIMEOUT = 180


def no_problem(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def service_page(service: str) -> None:
    from modelworks.dashboard.views import service as page

    page.render(service)


def view(name: str) -> None:
    import importlib

    importlib.import_module(f"modelworks.dashboard.views.{name}").render()


def section(service: str, name: str) -> AppTest:
    app = AppTest.from_function(service_page, args=(service,), default_timeout=TIMEOUT)
    app.session_state[f"open-{service}"] = name
    return no_problem(app.run())


def page(name: str) -> AppTest:
    return no_problem(AppTest.from_function(view, args=(name,), default_timeout=TIMEOUT).run())


def charts(app: AppTest) -> list[Any]:
    return list(app.get("vega_lite_chart"))


def test_login_then_navigation_follows_the_scopes(console: Console,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_API_URL", console.url)
    monkeypatch.delenv("MODELWORKS_API_KEY", raising=False)
    # The home holds the admin key: without --local the dashboard must not use it.
    monkeypatch.setenv("MODELWORKS_HOME", str(console.api.home))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert app.title[0].value == "modelworks console"
    assert PAGES not in app.session_state

    app.text_input[0].input("mw_0000_not-a-key")
    app.button[0].click().run()
    assert "401" in app.error[0].value
    assert PAGES not in app.session_state

    app.text_input[0].input(console.predict_key)
    app.button[0].click().run()
    no_problem(app)
    offered = set(app.session_state[PAGES])
    assert offered == {"", "genres", "interests", "movies", "resumes", "similarity"}

    app.button(key="logout").click().run()
    assert app.title[0].value == "modelworks console"
    app.text_input[0].input(console.admin_key)
    app.button[0].click().run()
    no_problem(app)
    assert {"training", "jobs", "keys", "explore"} <= set(app.session_state[PAGES])
    overview = app.dataframe[0].value
    assert list(overview["service"]) == ["genres", "interests", "movies", "resumes",
                                        "similarity"]
    assert overview["live version"].notna().all()


def test_environment_key_logs_in_by_itself(logged_in: Console) -> None:
    app = no_problem(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run())
    assert app.title[0].value == "Services"
    assert "admin" in app.sidebar.caption[0].value


@pytest.mark.parametrize(("service", "expect"), [
    ("resumes", "probabilities"), ("genres", "scores"), ("interests", "interests"),
    ("similarity", "What can I use to cut wood?"), ("movies", "scores")])
def test_try_draws_each_answer_as_a_chart(logged_in: Console, service: str,
                                          expect: str) -> None:
    app = section(service, "Try")
    assert not charts(app)
    app.button[0].click().run()  # the form's Send, the example already filled in
    no_problem(app)
    drawn = charts(app)
    assert drawn, f"{service}: no chart"
    titles = [str(chart.proto.spec) for chart in drawn]
    assert any(expect in title for title in titles), titles
    app.run()  # what touching another widget does: the answer stays
    assert len(charts(app)) == len(drawn)


def test_training_promoting_with_confirmation_and_rollback(logged_in: Console) -> None:
    # The browser test shares this server: count from what it holds now.
    with logged_in.client() as client:
        before = client.model("resumes")
    live, new = before.live, max(v.version for v in before.versions) + 1
    app = page("training")
    app.selectbox(key="train-service").set_value("resumes").run()
    app.selectbox[1].set_value("naive-bayes")
    app.text_input[0].input("baseline from the dashboard")
    app.button[0].click().run()
    no_problem(app)
    assert f"registered as version {new}" in app.success[0].value
    steps = app.dataframe[0].value
    assert len(steps) >= 3, steps  # the job's steps, each with its time

    versions = section("resumes", "Versions")
    table = versions.dataframe[0].value
    assert list(table.index) == [v.version for v in before.versions] + [new]
    assert table.loc[live, "live"] == "● live"
    assert table.loc[new, "name"] == "baseline from the dashboard"
    assert table.loc[new, "kind"] == "naive-bayes"
    assert versions.selectbox(key="version-pick-resumes").value == live  # the live one
    assert "confusion matrix" in str(charts(versions)[0].proto.spec)

    versions.selectbox(key="version-pick-resumes").set_value(new).run()
    versions.button(key="promote-resumes").click().run()
    no_problem(versions)
    changes = versions.dataframe[1].value  # the live version beside the new, and differences
    assert {"live", f"version {new}", "difference"} <= set(changes.columns)
    primary = before.primary_metric
    assert changes.loc[primary, "difference"] == pytest.approx(
        changes.loc[primary, f"version {new}"] - changes.loc[primary, "live"], abs=1e-4)
    if changes.loc[primary, "difference"] < 0:
        assert primary in versions.warning[0].value
    with logged_in.client() as client:
        assert client.model("resumes").live == live  # nothing happens before the confirmation
    versions.button(key="confirm-resumes").click().run()
    no_problem(versions)
    assert f"version {new} of resumes is live" in versions.success[0].value
    assert versions.dataframe[0].value.loc[new, "live"] == "● live"
    with logged_in.client() as client:
        assert client.model("resumes").live == new

    versions.button(key="rollback-resumes").click().run()
    no_problem(versions)
    assert f"version {live} of resumes is live again" in versions.success[0].value
    assert versions.dataframe[0].value.loc[live, "live"] == "● live"
    assert versions.selectbox(key="version-pick-resumes").value == live

    jobs = page("jobs").dataframe[0].value
    assert "succeeded" in set(jobs["state"])


def test_history_lists_the_services_predictions_answer_first(logged_in: Console) -> None:
    with logged_in.client() as client:
        client.classify_resume("Oracle DBA with 8 years of RMAN, Data Guard and RAC")
    app = section("resumes", "History")
    table = app.dataframe[0].value
    assert list(table.columns[:4]) == ["time", "version", "category", "probability"]
    assert table.iloc[0]["category"] == "Oracle DBA"
    assert list(table.columns[-2:]) == ["request id", "id"]

    app.selectbox(key="history-window-resumes").set_value("last hour")
    app.selectbox(key="history-version-resumes").set_value(1).run()
    no_problem(app)
    assert set(app.dataframe[0].value["version"]) == {1}


def test_monitoring_shows_traffic_and_the_quality_signal(logged_in: Console) -> None:
    with logged_in.client() as client:
        client.rank_products(["What can I use to cut wood?"],
                             ["Heavy-duty claw hammer.", "Circular saw with laser guide."])
    app = section("similarity", "Monitoring")
    names = [metric.label for metric in app.metric]
    assert {"requests", "p50", "p99", "4xx", "5xx", "uptime"} <= set(names)
    assert any(h.value.startswith("Quality") for h in app.subheader)
    assert len(charts(app)) >= 3  # quality distribution, predictions per minute, latency


def test_keys_page_creates_shows_once_and_revokes(logged_in: Console) -> None:
    app = page("keys")
    app.text_input[0].input("from the keys test")
    app.multiselect[0].set_value(["predict", "history"])
    app.button[0].click().run()
    no_problem(app)
    secret = app.code[0].value
    assert secret.startswith("mw_")
    listed = app.dataframe[0].value
    made = listed[listed["name"] == "from the keys test"]
    assert len(made) == 1
    assert made.iloc[0]["revoked_at"] is None
    app.run()
    assert not app.code  # shown once
    app.selectbox(key="keys-chosen").set_value(made.iloc[0]["key_id"])
    app.button[2].click().run()  # Revoke
    no_problem(app)
    listed = app.dataframe[0].value
    assert listed[listed["name"] == "from the keys test"].iloc[0]["revoked_at"] is not None


def test_explore_shows_balance_lengths_terms_and_samples(logged_in: Console) -> None:
    app = page("explore")
    assert app.title[0].value == "Explore the training resumes"
    headers = [h.value for h in app.header]
    assert headers == ["Class balance", "Length per category", "Top terms per category",
                       "Sample browser"]
    balance, lengths, terms = (table.value for table in app.dataframe[:3])
    assert balance["resumes"].sum() == int(app.metric[0].value)
    assert len(lengths) == 14
    assert len(set(terms["top terms"])) == 14  # every category its own list
    app.selectbox[0].set_value("Oracle DBA").run()
    no_problem(app)
    assert app.text[-1].value.strip()  # the chosen resume's text
