"""`modelworks data prepare interests` and `modelworks evaluate interests` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelworks.cli import app
from tests.conftest import SEED_USERS_FILE


def test_prepare_with_choices_then_evaluate_prints_ours_and_the_baselines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_HOME", str(tmp_path))
    runner = CliRunner()
    prepared = runner.invoke(app, ["data", "prepare", "interests", "--users", "1200",
                                   "--seed", "3", "--seed-users", str(SEED_USERS_FILE)])
    assert prepared.exit_code == 0, prepared.output
    users = (tmp_path / "data" / "interests" / "users.csv").read_text().splitlines()
    assert len(users) == 1201
    assert users[1].startswith(SEED_USERS_FILE.read_text().splitlines()[1].split(",")[0])

    result = runner.invoke(app, ["evaluate", "interests", "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)["models"]
    assert set(table) == {"ours (ridge + neighbours)", "popularity", "one-vs-rest logistic"}
    for metrics in table.values():
        assert {"precision@10", "map@10", "ece"} <= set(metrics)

    wrong = runner.invoke(app, ["data", "prepare", "movies", "--users", "10"])
    assert wrong.exit_code == 2
    assert "not generated" in wrong.output
