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


def test_a_key_comes_from_the_option_or_the_environment(running_api: RunningApi,
                                                        tmp_path: Path) -> None:
    server_home = {"MODELWORKS_HOME": str(running_api.home)}
    created = CliRunner().invoke(app, ["keys", "create", "--scope", "train", "--name", "ci"],
                                 env=server_home)
    trainer = created.stdout.strip()
    reader = CliRunner().invoke(app, ["keys", "create", "--scope", "predict"],
                                env=server_home).stdout.strip()
    # A home without an admin key: only the key given is sent.
    elsewhere = {"MODELWORKS_HOME": str(tmp_path), "MODELWORKS_API_URL": running_api.url}
    runner = CliRunner()
    keyless = runner.invoke(app, ["jobs", "list"], env=elsewhere)
    assert keyless.exit_code == 1
    assert "401" in keyless.stderr
    by_option = runner.invoke(app, ["jobs", "list", "--json", "--api-key", trainer],
                              env=elsewhere)
    assert by_option.exit_code == 0, by_option.output
    assert isinstance(json.loads(by_option.stdout), list)
    by_env = runner.invoke(app, ["jobs", "list", "--json"],
                           env={**elsewhere, "MODELWORKS_API_KEY": trainer})
    assert json.loads(by_env.stdout) == json.loads(by_option.stdout)
    too_weak = runner.invoke(app, ["jobs", "list", "--api-key", reader], env=elsewhere)
    assert too_weak.exit_code == 1
    assert "403: this key lacks the `train` scope" in too_weak.stderr


def test_jobs_list_as_json(cli_env: RunningApi) -> None:
    started = CliRunner().invoke(app, ["jobs", "start", "resumes", "--model", "naive-bayes",
                                       "--no-register", "--no-wait"])
    assert started.exit_code == 0, started.output
    job_id = started.stdout.strip()
    watched = CliRunner().invoke(app, ["jobs", "watch", job_id])
    assert watched.exit_code == 0, watched.output
    listed = json.loads(CliRunner().invoke(app, ["jobs", "list", "--json", "--service",
                                                 "resumes", "--limit", "5"]).stdout)
    mine = next(job for job in listed if job["job_id"] == job_id)
    assert (mine["service"], mine["state"], mine["progress"]) == ("resumes", "succeeded", 100.0)
    assert mine["result"]["metrics"]["weighted_f1"] > 0.5
    assert len(listed) <= 5
    typo = CliRunner().invoke(app, ["jobs", "start", "resume", "--no-wait"])
    assert typo.exit_code == 1
    assert "did you mean resumes?" in typo.stderr
