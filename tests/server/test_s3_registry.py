"""A registry in S3 (moto's server) end to end: trained into on one machine, served on another."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelworks.cli import app as cli
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.training import train_and_register
from modelworks.server.app import create_app
from modelworks.services.resumes import ResumesService
from tests.conftest import make_settings, register_copy

RESUME = {"text": "Oracle DBA with 8 years of RMAN, Data Guard and RAC on 19c"}


def test_a_server_serves_and_swaps_models_trained_into_an_s3_registry(
        tmp_path: Path, minilm_assets: MiniLMAssets, small_resumes_csv: bytes,
        s3_url: str) -> None:
    trainer = make_settings(tmp_path / "trainer", minilm_assets, registry_url=s3_url)
    service = ResumesService()
    service.configure(trainer)
    registry = Registry.from_settings(trainer)
    result = train_and_register(service, registry, service.read_training_data(
        small_resumes_csv), no_progress)
    assert (result.version, result.promoted) == (1, True), result.reason
    second = register_copy(registry, "resumes")
    assert not trainer.registry_dir.exists()  # nothing went to the local folder

    server = make_settings(tmp_path / "server", minilm_assets, registry_url=s3_url,
                           services=["resumes"])
    with TestClient(create_app(server)) as client:
        answer = client.post("/api/inference", json=RESUME)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-model-version"] == "resumes:1"
        assert (server.registry_cache_dir / "resumes" / "1" / "manifest.json").is_file()

        moved = client.put("/models/resumes/live", json={"version": second})
        assert moved.status_code == 200, moved.text
        status = client.get("/models/resumes").json()
        assert (status["live"], status["loaded"]) == (second, second)
        assert [v["broken"] for v in status["versions"]] == [None, None]
        assert client.post("/api/inference", json=RESUME).headers["x-model-version"] == (
            f"resumes:{second}")
    assert Registry.from_settings(trainer).previous_live("resumes") == [1]

    env = {"MODELWORKS_HOME": str(server.home), "MODELWORKS_REGISTRY_URL": s3_url}
    listed = CliRunner().invoke(cli, ["models", "list", "resumes", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [(v["version"], v["live"]) for v in json.loads(listed.stdout)] == [
        (1, False), (second, True)]
    shown = CliRunner().invoke(cli, ["models", "show", "resumes", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["folder"] == f"{s3_url}/resumes/{second}"
