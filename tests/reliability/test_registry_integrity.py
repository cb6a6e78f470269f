"""Nothing bad goes live: versions that fail their hashes, corrupt manifests, leftovers.

Reproductions of the fault probe's findings 1, 7 and 11 (issue 15), on the real app.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelworks.cli import app as cli
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.errors import BrokenVersion, RegistryError
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings, register_copy

RESUME = {"text": "Oracle DBA with 8 years of RMAN, Data Guard and RAC on 19c"}


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets, resumes_registry: Path) -> Settings:
    copy_registry(resumes_registry, tmp_path)
    return make_settings(tmp_path, minilm_assets, services=["resumes"])


@pytest.fixture
def registry(settings: Settings) -> Registry:
    return Registry(settings.registry_dir)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def flip_a_byte(registry: Registry, version: int, name: str = "coef.npy") -> None:
    path = registry.root / "resumes" / str(version) / name
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def served_version(client: TestClient) -> str:
    response = client.post("/api/inference", json=RESUME)
    assert response.status_code == 200, response.text
    return response.headers["x-model-version"]


def test_a_version_failing_its_hash_is_refused_and_the_live_one_keeps_serving(
        client: TestClient, registry: Registry, settings: Settings) -> None:
    flip_a_byte(registry, register_copy(registry, "resumes"))
    refused = client.put("/models/resumes/live", json={"version": 2})
    assert refused.status_code == 409
    assert "coef.npy fails its sha256 check" in refused.json()["error"]
    assert registry.live_version("resumes") == 1
    status = client.get("/models/resumes").json()
    assert (status["live"], status["loaded"]) == (1, 1)
    assert [v["broken"] is not None for v in status["versions"]] == [False, True]
    assert served_version(client) == "resumes:1"
    result = CliRunner().invoke(cli, ["models", "promote", "resumes", "2"],
                                env={"MODELWORKS_HOME": str(settings.home)})
    assert result.exit_code == 1
    assert "cannot go live" in result.output
    assert registry.live_version("resumes") == 1


def test_after_a_restart_a_live_version_corrupted_on_disk_gives_way_to_the_last_good_one(
        settings: Settings, registry: Registry) -> None:
    registry.promote("resumes", register_copy(registry, "resumes"))
    flip_a_byte(registry, 2)  # after promotion: bit rot, or a hand on the file
    with TestClient(create_app(settings)) as restarted:
        assert served_version(restarted) == "resumes:1"
        error = restarted.get("/models/resumes").json()["last_error"]
        assert "version 2 failed to load" in error
        assert "serving earlier live version 1" in error


def test_a_corrupt_manifest_is_listed_as_broken_and_breaks_no_listing(
        client: TestClient, registry: Registry, settings: Settings) -> None:
    version = register_copy(registry, "resumes")
    manifest = registry.root / "resumes" / str(version) / "manifest.json"
    manifest.chmod(0o644)
    manifest.write_text("{not json")
    listing = client.get("/models")
    assert listing.status_code == 200
    [broken] = [v for v in listing.json()["resumes"]["versions"] if v["broken"]]
    assert broken["version"] == version
    assert "unreadable" in broken["broken"]
    result = CliRunner().invoke(cli, ["models", "list"],
                                env={"MODELWORKS_HOME": str(settings.home), "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "broken" in result.output
    assert client.put("/models/resumes/live", json={"version": version}).status_code == 409


def test_versions_never_share_files_so_changing_one_changes_no_other(
        registry: Registry, similarity_registry: Path, minilm_assets: MiniLMAssets) -> None:
    copy = register_copy(registry, "resumes")
    for name in registry.manifest("resumes", copy).files:
        files = [registry.root / "resumes" / str(v) / name for v in (1, copy)]
        assert [f.stat().st_nlink for f in files] == [1, 1], name
        assert all(f.stat().st_mode & 0o222 == 0 for f in files), name
    encoder = next((similarity_registry / "similarity" / "1").glob("*.onnx"))
    assert encoder.stat().st_nlink == 1  # a copy of the asset cache's file, not a link to it
    flip_a_byte(registry, copy)
    assert registry.problem("resumes", 1) is None
    assert "fails its sha256 check" in (registry.problem("resumes", copy) or "")


def test_rollback_passes_over_versions_that_no_longer_verify(registry: Registry) -> None:
    second, third = register_copy(registry, "resumes"), register_copy(registry, "resumes")
    registry.promote("resumes", second)
    registry.promote("resumes", third)
    flip_a_byte(registry, second)
    assert registry.rollback("resumes") == 1
    assert registry.previous_live("resumes") == []
    registry.promote("resumes", third)
    flip_a_byte(registry, 1)
    with pytest.raises(BrokenVersion, match="no earlier live version of resumes verifies"):
        registry.rollback("resumes")
    assert registry.live_version("resumes") == third


def test_what_killed_writers_left_behind_is_removed(registry: Registry) -> None:
    folder = registry.root / "resumes"
    host = socket.gethostname()
    (folder / ".live.0123abcd.tmp").write_text('{"version": 99')
    dead = folder / f".staging-{host}-{2**22 + 7}-abc"  # above pid_max: never running
    dead.mkdir()
    (dead / "coef.npy").write_bytes(b"half")
    (dead / "coef.npy").chmod(0o444)
    alive = folder / f".staging-{host}-{os.getpid()}-def"
    alive.mkdir()
    registry.promote("resumes", 1)
    assert not (folder / ".live.0123abcd.tmp").exists()
    assert not dead.exists()
    assert alive.exists()  # a writer of this very process may still be filling it


def test_an_unwritable_registry_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "registry"
    blocked.write_text("a file where the registry folder should be")
    registry = Registry(blocked)
    with pytest.raises(RegistryError, match="cannot write to the registry at"):
        registry.register("demo", lambda folder: None, metrics={}, params={},
                          data_sha256="", n_rows=0)
