from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from modelworks.core.errors import NotFound, RegistryError
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings


def writer(content: bytes, big: bytes = b"shared table") -> object:
    def write(folder: Path) -> None:
        (folder / "weights.bin").write_bytes(content)
        (folder / "table.npy").write_bytes(big)

    return write


def register(registry: Registry, content: bytes, **kwargs: object) -> int:
    manifest = registry.register("demo", writer(content), metrics={"score": 0.5}, params={"c": 1},
                                 data_sha256="abc", n_rows=10, **kwargs)  # type: ignore[arg-type]
    return manifest.version


def test_versions_count_up_and_manifest_records_everything(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    assert [register(registry, b"one"), register(registry, b"two")] == [1, 2]
    manifest = registry.manifest("demo", 2)
    assert manifest.service == "demo"
    assert manifest.metrics == {"score": 0.5}
    assert manifest.params == {"c": 1}
    assert manifest.n_rows == 10
    assert set(manifest.files) == {"weights.bin", "table.npy"}
    assert "numpy" in manifest.libraries
    assert [m.version for m in registry.versions("demo")] == [1, 2]


def test_identical_files_are_never_shared_between_versions(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register(registry, b"one")
    register(registry, b"two")
    first, second = tmp_path / "demo" / "1" / "table.npy", tmp_path / "demo" / "2" / "table.npy"
    assert first.read_bytes() == second.read_bytes()
    assert os.stat(first).st_ino != os.stat(second).st_ino
    assert os.stat(first).st_nlink == os.stat(second).st_nlink == 1
    assert all(path.stat().st_mode & 0o222 == 0 for path in (first, second))


def test_loading_detects_a_tampered_file(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register(registry, b"weights")
    registry.verified_folder("demo", 1)
    path = tmp_path / "demo" / "1" / "weights.bin"
    path.chmod(0o644)
    path.write_bytes(b"evil")
    with pytest.raises(RegistryError, match="sha256"):
        registry.verified_folder("demo", 1)


def test_a_failed_write_leaves_no_version(tmp_path: Path) -> None:
    registry = Registry(tmp_path)

    def crash(folder: Path) -> None:
        (folder / "half.bin").write_bytes(b"partial")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        registry.register("demo", crash, metrics={}, params={}, data_sha256="", n_rows=0)
    assert registry.versions("demo") == []
    assert list((tmp_path / "demo").glob(".staging-*")) == []
    assert register(registry, b"next") == 1


def test_a_leftover_staging_folder_is_never_a_version(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    (tmp_path / "demo" / ".staging-dead").mkdir(parents=True)
    assert registry.versions("demo") == []
    assert register(registry, b"x") == 1


def test_promote_and_rollback_walk_the_history(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    for content in (b"a", b"b", b"c"):
        register(registry, content)
    assert registry.live_version("demo") is None
    registry.promote("demo", 1)
    registry.promote("demo", 3)
    registry.promote("demo", 2)
    assert registry.live_version("demo") == 2
    assert registry.rollback("demo") == 3
    assert registry.rollback("demo") == 1
    assert registry.live_version("demo") == 1
    with pytest.raises(NotFound):
        registry.rollback("demo")
    alias = json.loads((tmp_path / "demo" / "live").read_text())
    assert alias == {"version": 1, "history": []}


def test_promoting_a_missing_version_fails_and_keeps_the_alias(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register(registry, b"a")
    registry.promote("demo", 1)
    with pytest.raises(NotFound):
        registry.promote("demo", 7)
    assert registry.live_version("demo") == 1


def test_a_path_or_a_file_url_is_a_folder_registry(tmp_path: Path) -> None:
    for location in (tmp_path, str(tmp_path), f"file://{tmp_path}"):
        assert Registry(location).root == tmp_path
    register(Registry(f"file://{tmp_path}"), b"x")
    assert (tmp_path / "demo" / "1" / "weights.bin").read_bytes() == b"x"
    default = Settings(home=tmp_path / "home")
    assert Registry.from_settings(default).root == default.registry_dir
    elsewhere = Settings(home=tmp_path / "home", registry_url=f"file://{tmp_path}")
    assert Registry.from_settings(elsewhere).version_numbers("demo") == [1]


def test_a_registry_at_another_fsspec_url_keeps_the_same_promises(tmp_path: Path) -> None:
    url = f"memory://registry-{uuid.uuid4().hex}/models"  # S3 itself: test_registry_s3.py
    registry = Registry(url, cache_dir=tmp_path / "cache")
    assert [register(registry, b"one"), register(registry, b"two")] == [1, 2]
    registry.promote("demo", 2)
    registry.promote("demo", 1)
    elsewhere = Registry(url, cache_dir=tmp_path / "elsewhere")
    assert (elsewhere.live_version("demo"), elsewhere.previous_live("demo")) == (1, [2])
    folder = elsewhere.verified_folder("demo", 2)
    assert (folder / "weights.bin").read_bytes() == b"two"
    assert folder.is_relative_to(tmp_path / "elsewhere")
    assert elsewhere.rollback("demo") == 2
