"""``modelworks train --all``: every installed service, as `make run` and the image use it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from modelworks.cli import app
from modelworks.cli.banner import training_summary
from modelworks.core.plugins import installed_service_names
from modelworks.core.training import TrainResult


def test_train_all_if_missing_skips_services_with_a_live_model(all_services_home: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--all", "--if-missing"],
                                env={"MODELWORKS_HOME": str(all_services_home)})
    assert result.exit_code == 0, result.output
    for name in installed_service_names():
        assert f"{name}: version 1 is live; nothing to train" in result.output


def test_train_needs_one_service_or_all(tmp_path: Path) -> None:
    env = {"MODELWORKS_HOME": str(tmp_path)}
    for arguments in (["train"], ["train", "genres", "--all"],
                      ["train", "--all", "--model", "naive-bayes"]):
        result = CliRunner().invoke(app, arguments, env=env)
        assert result.exit_code == 2, (arguments, result.output)


def test_the_training_summary_prints_counts_as_counts_and_scores_to_four_places() -> None:
    result = TrainResult(service="resumes", version=3, metrics={
        "weighted_f1": 0.91234567, "test_rows": 999.0, "classes": 24}, n_rows=4_995,
        duration_seconds=7.64, promoted=False, reason="weighted_f1 fell by 0.0200",
        model="naive-bayes")
    assert training_summary(result).splitlines()[:3] == [
        "resumes: version 3 (naive-bayes), 4,995 rows, 7.6 s",
        "  metrics: weighted_f1 0.9123, test_rows 999, classes 24",
        "  not promoted: weighted_f1 fell by 0.0200"]
