"""`modelworks data prepare|train|evaluate resumes` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelworks.cli import app
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.registry import Registry
from tests.conftest import make_settings


def test_train_a_chosen_kind_then_register_the_default_and_compare_all(
        tmp_path: Path, minilm_assets: MiniLMAssets, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, minilm_assets)
    monkeypatch.setenv("MODELWORKS_HOME", str(tmp_path))
    runner = CliRunner()
    prepared = runner.invoke(app, ["data", "prepare", "resumes", "--users", "500", "--seed", "5"])
    assert prepared.exit_code == 0, prepared.output
    rows = (tmp_path / "data" / "resumes" / "resumes.csv").read_text()
    assert rows.startswith("resume,label\n")

    trial = runner.invoke(app, ["train", "resumes", "--model", "naive-bayes", "--no-register",
                                "--json"])
    assert trial.exit_code == 0, trial.output
    measured = json.loads(trial.stdout)
    assert measured["version"] is None
    assert measured["model"] == "naive-bayes"
    assert not settings.registry_dir.exists()

    kept = runner.invoke(app, ["train", "resumes", "--name", "first", "--json"])
    assert kept.exit_code == 0, kept.output
    result = json.loads(kept.stdout)
    assert result["promoted"], result["reason"]
    folder = Registry(settings.registry_dir).verified_folder("resumes", result["version"])
    assert (folder / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    manifest = Registry(settings.registry_dir).manifest("resumes", result["version"])
    assert manifest.params["kind"] == "tfidf-logistic"
    assert manifest.notes["name"] == "first"
    assert len(manifest.notes["evaluation"]["per_class"]) == 14

    # Without --json a person reads a few lines: version, metrics, and whether it went live.
    summary = runner.invoke(app, ["train", "resumes"])
    assert summary.exit_code == 0, summary.output
    assert summary.stdout == ""
    lines = summary.stderr.strip().splitlines()
    head = f"resumes: version {result['version'] + 1} (tfidf-logistic)"
    start = next(n for n, line in enumerate(lines) if line.startswith(head))  # after the bar
    assert "weighted_f1" in lines[start + 1]
    assert "promoted" in lines[start + 2]
    assert len(lines) - start <= 4

    compared = runner.invoke(app, ["evaluate", "resumes", "--json"])
    assert compared.exit_code == 0, compared.output
    table = json.loads(compared.stdout)["models"]
    assert set(table) == {"naive-bayes", "tfidf-logistic", "minilm-logistic"}
    assert table["tfidf-logistic"]["weighted_f1"] > table["naive-bayes"]["weighted_f1"]

    unknown = runner.invoke(app, ["train", "resumes", "--model", "forest"])
    assert unknown.exit_code == 1
    assert "unknown model 'forest'" in unknown.output
