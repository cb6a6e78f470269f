"""`modelworks jobs`: training jobs on a real server, followed from the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelworks.cli import app
from tests.conftest import RunningApi


@pytest.fixture
def cli_env(running_api: RunningApi, monkeypatch: pytest.MonkeyPatch) -> RunningApi:
    monkeypatch.setenv("MODELWORKS_HOME", str(running_api.home))  # the admin key's home
    monkeypatch.setenv("MODELWORKS_API_URL", running_api.url)
    return running_api


def test_start_follows_a_job_to_its_result(cli_env: RunningApi, tmp_path: Path,
                                           small_resumes_csv: bytes) -> None:
    data = tmp_path / "resumes.csv"
    data.write_bytes(small_resumes_csv)
    runner = CliRunner()
    result = runner.invoke(app, ["jobs", "start", "resumes", "--data", str(data),
                                 "--model", "naive-bayes", "--name", "from the cli",
                                 "--no-register"])
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    assert job["state"] == "succeeded"
    assert job["result"]["promoted"] is False  # --no-register: evaluated only
    assert job["result"]["metrics"]["weighted_f1"] > 0.5
    assert "100%" in result.stderr  # the progress bar reached its end

    listed = runner.invoke(app, ["jobs", "list", "--service", "resumes"])
    assert job["job_id"] in listed.stdout
    assert "succeeded" in listed.stdout
    again = runner.invoke(app, ["jobs", "watch", job["job_id"]])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["state"] == "succeeded"


def test_refusals_name_the_problem_and_fail(cli_env: RunningApi, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n")
    runner = CliRunner()
    refused = runner.invoke(app, ["jobs", "start", "resumes", "--data", str(bad)])
    assert refused.exit_code == 1
    assert "error:" in refused.stderr
    unknown = runner.invoke(app, ["jobs", "cancel", "0" * 32])
    assert unknown.exit_code == 1
    assert "error:" in unknown.stderr
    elsewhere = runner.invoke(app, ["jobs", "list", "--api-url", "http://127.0.0.1:9"])
    assert elsewhere.exit_code == 1
    assert "cannot reach" in elsewhere.stderr
