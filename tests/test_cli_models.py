"""``modelworks models`` and service names on the command line: typos are named, JSON on ask."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelworks.cli import _number, app
from tests.conftest import home_with_registries


def test_a_misspelt_service_is_refused_with_the_closest_name(tmp_path: Path) -> None:
    env = {"MODELWORKS_HOME": str(tmp_path)}
    for arguments in (["models", "promote", "resume", "1"], ["models", "rollback", "genre"],
                      ["models", "list", "similarty"]):
        result = CliRunner().invoke(app, arguments, env=env)
        assert result.exit_code == 2, (arguments, result.output)
        assert "unknown service" in result.output
        assert "did you mean" in result.output, result.output
    result = CliRunner().invoke(app, ["models", "list", "foo"], env=env)
    assert result.exit_code == 2
    assert "did you mean" not in result.output
    assert ("installed: genres, interests, movies, resumes, similarity"
            in " ".join(result.output.split()))  # the console wraps long lines


def test_training_a_misspelt_service_names_the_closest(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "moveis"], env={"MODELWORKS_HOME": str(tmp_path)})
    assert result.exit_code != 0
    assert "unknown service 'moveis' (did you mean movies?)" in " ".join(result.output.split())


def test_models_list_as_json(tmp_path: Path, movies_registry: Path) -> None:
    home = home_with_registries(tmp_path, movies_registry)
    result = CliRunner().invoke(app, ["models", "list", "movies", "--json"],
                                env={"MODELWORKS_HOME": str(home)})
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [(v["service"], v["version"], v["live"]) for v in listed] == [("movies", 1, True)]
    assert listed[0]["rows"] > 0
    assert listed[0]["metrics"]


def test_counts_print_as_integers_and_scores_to_four_places() -> None:
    assert _number(320.0) == "320"
    assert _number(12000.0) == "12,000"
    assert _number(0.95512) == "0.9551"
    assert _number(1.0) == "1.0000"
