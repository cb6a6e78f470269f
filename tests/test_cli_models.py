"""``modelworks models`` and service names on the command line: typos are named, JSON on ask."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelworks.cli import app
from modelworks.cli.common import number
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.services.genres.data import MOVIES_PACKAGE
from tests.conftest import home_with_registries, make_settings


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
    assert number(320.0) == "320"
    assert number(12000.0) == "12,000"
    assert number(0.95512) == "0.9551"
    assert number(1.0) == "1.0000"


def test_models_show_names_the_version_its_data_gate_and_reports(tmp_path: Path,
                                                                 resumes_registry: Path) -> None:
    home = home_with_registries(tmp_path, resumes_registry)
    env = {"MODELWORKS_HOME": str(home)}
    shown = CliRunner().invoke(app, ["models", "show", "resumes", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    version = json.loads(shown.stdout)
    manifest = json.loads((home / "registry" / "resumes" / "1" / "manifest.json").read_text())
    assert version["version"] == 1
    assert version["live"] is True
    assert version["broken"] is None
    assert version["data_sha256"] == manifest["data_sha256"]
    assert len(version["data_sha256"]) == 64
    assert version["params"] == manifest["params"]
    assert version["metrics"] == manifest["metrics"]
    assert version["notes"]["gate"]["passed"] is True
    assert version["reports"] == [str(home / "registry" / "resumes" / "1" /
                                      "confusion_matrix.png")]
    assert Path(version["reports"][0]).read_bytes().startswith(b"\x89PNG")

    table = CliRunner().invoke(app, ["models", "show", "resumes", "1"], env=env)
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    for expected in ("resumes 1: live", manifest["data_sha256"],
                     f"passed: {manifest['notes']['gate']['reason']}", "weighted_f1",
                     "per class", "Oracle DBA", "confusion_matrix.png", "kind"):
        assert expected in text, expected


def test_models_show_refuses_what_is_not_there(tmp_path: Path, resumes_registry: Path) -> None:
    env = {"MODELWORKS_HOME": str(home_with_registries(tmp_path, resumes_registry))}
    missing = CliRunner().invoke(app, ["models", "show", "resumes", "7"], env=env)
    assert missing.exit_code == 1
    assert "resumes has no version 7" in missing.output
    typo = CliRunner().invoke(app, ["models", "show", "resume"], env=env)
    assert typo.exit_code == 2
    assert "did you mean resumes?" in typo.output
    untrained = CliRunner().invoke(app, ["models", "show", "movies"], env=env)
    assert untrained.exit_code == 1
    assert "movies has no versions; train one with `modelworks train movies`" in " ".join(
        untrained.output.split())


def test_evaluate_genres_measures_on_rows_its_model_did_not_see(
        tmp_path: Path, minilm_assets: MiniLMAssets, genres_registry: Path,
        small_training_csv: bytes) -> None:
    home = home_with_registries(tmp_path, genres_registry)
    settings = make_settings(home, minilm_assets)  # links the encoder assets
    prepared = settings.data_dir / "genres" / "movies.csv"  # what `data prepare` leaves
    prepared.parent.mkdir(parents=True)
    prepared.write_bytes(small_training_csv)
    # Marked as the current default data, so `evaluate` does not prepare it again.
    prepared.with_name("source.txt").write_text(MOVIES_PACKAGE + "\n")
    env = {"MODELWORKS_HOME": str(home)}

    split = CliRunner().invoke(app, ["evaluate", "genres", "--json"], env=env)
    assert split.exit_code == 0, split.output
    measured = json.loads(split.stdout)
    assert 50 < measured["held_out_rows"] < 150  # about a fifth of 500 rows
    held_out = measured["models"]["ours"]["map@5"]
    assert held_out > measured["models"]["ours"]["prior_map@5"], measured

    data = tmp_path / "labelled.csv"
    data.write_bytes(small_training_csv)
    live = CliRunner().invoke(app, ["evaluate", "genres", "--data", str(data)], env=env)
    assert live.exit_code == 0, live.output
    assert "genres: the live model on labelled.csv" in live.stdout
    assert "live (version 1)" in live.stdout
    assert "map@5" in live.stdout
    as_json = CliRunner().invoke(app, ["evaluate", "genres", "--data", str(data), "--json"],
                                 env=env)
    seen = json.loads(as_json.stdout)
    assert seen["version"] == 1
    # The live model was fitted on these very rows: measured on them it flatters itself.
    assert seen["metrics"]["map@5"] > held_out
