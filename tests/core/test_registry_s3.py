"""The registry at an ``s3://`` URL, against moto's S3 server: the same promises as on disk.

Each ``Registry`` object here stands for one machine: its own S3 client and its own cache.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelworks.core.errors import BrokenVersion, NotFound, RegistryError, RegistryUnreachable
from modelworks.core.registry import Registry
from tests.s3_server import S3Server


def machine(url: str, tmp_path: Path, name: str) -> Registry:
    """A registry as one machine sees it: its own client and its own cache folder."""
    return Registry(url, cache_dir=tmp_path / name / "cache")


def writer(content: bytes) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "weights.bin").write_bytes(content)
        (folder / "parts").mkdir()
        (folder / "parts" / "table.npy").write_bytes(b"table " + content)

    return write


def register(registry: Registry, content: bytes, service: str = "demo") -> int:
    return registry.register(service, writer(content), metrics={"score": 0.5}, params={"c": 1},
                             data_sha256="abc", n_rows=10).version


def key(url: str, *parts: str) -> str:
    return "/".join((url.removeprefix("s3://"), *parts))


def in_threads(*calls: Callable[[], object]) -> list[object]:
    """Run every call at once, each in its own thread; their results, in order."""
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_the_s3_server_refuses_a_second_create_of_one_key(s3_url: str, s3_files: Any) -> None:
    """What the registry's atomicity rests on: S3's create-only write (If-None-Match: *)."""
    s3_files.pipe_file(key(s3_url, "once"), b"first", mode="create")
    with pytest.raises(FileExistsError):
        s3_files.pipe_file(key(s3_url, "once"), b"second", mode="create")
    assert s3_files.cat_file(key(s3_url, "once")) == b"first"


def test_versions_are_registered_listed_and_verified(s3_url: str, tmp_path: Path,
                                                     s3_files: Any) -> None:
    registry = machine(s3_url, tmp_path, "a")
    assert registry.services() == []
    assert [register(registry, b"one"), register(registry, b"two")] == [1, 2]
    assert registry.services() == ["demo"]
    assert registry.version_numbers("demo") == [1, 2]
    manifest = registry.manifest("demo", 2)
    assert (manifest.metrics, manifest.params, manifest.n_rows) == ({"score": 0.5}, {"c": 1}, 10)
    assert set(manifest.files) == {"weights.bin", "parts/table.npy"}
    assert [m.version for m in registry.versions("demo")] == [1, 2]
    assert registry.version_location("demo", 2) == f"{s3_url}/demo/2"
    stored = s3_files.find(key(s3_url, "demo", "2"))
    assert sorted(path.rsplit("/2/", 1)[1] for path in stored) == [
        ".claim", "manifest.json", "parts/table.npy", "weights.bin"]

    elsewhere = machine(s3_url, tmp_path, "b")
    folder = elsewhere.verified_folder("demo", 2)
    assert folder == tmp_path / "b" / "cache" / "demo" / "2"
    assert (folder / "weights.bin").read_bytes() == b"two"
    assert (folder / "parts" / "table.npy").read_bytes() == b"table two"
    assert elsewhere.problem("demo", 1) is None
    assert elsewhere.problem("demo", 2) is None
    with pytest.raises(NotFound):
        elsewhere.manifest("demo", 3)
    with pytest.raises(RegistryError, match="not a folder on this machine"):
        _ = elsewhere.root


def test_promote_and_rollback_walk_the_history(s3_url: str, tmp_path: Path,
                                                s3_files: Any) -> None:
    registry = machine(s3_url, tmp_path, "a")
    for content in (b"a", b"b", b"c"):
        register(registry, content)
    assert registry.live_version("demo") is None
    registry.promote("demo", 1)
    registry.promote("demo", 3)
    registry.promote("demo", 2)
    elsewhere = machine(s3_url, tmp_path, "b")
    assert (elsewhere.live_version("demo"), elsewhere.previous_live("demo")) == (2, [1, 3])
    assert registry.rollback("demo") == 3
    assert elsewhere.live_version("demo") == 3  # a poll on another machine sees the move
    assert elsewhere.rollback("demo") == 1
    assert registry.live_version("demo") == 1
    with pytest.raises(NotFound):
        registry.rollback("demo")
    with pytest.raises(NotFound):
        registry.promote("demo", 7)
    assert registry.live_version("demo") == 1
    # Every move is a record of its own, never overwritten: the log of the alias.
    records = [json.loads(s3_files.cat_file(key(s3_url, "demo", "live", f"{n}.json")))
               for n in range(1, 6)]
    assert [(r["version"], r["history"]) for r in records] == [
        (1, []), (3, [1]), (2, [1, 3]), (3, [1]), (1, [])]
    assert all(r["by"] and r["at"] for r in records)


def test_a_tampered_remote_file_is_refused(s3_url: str, tmp_path: Path, s3_files: Any) -> None:
    registry = machine(s3_url, tmp_path, "a")
    register(registry, b"good")
    register(registry, b"also good")
    registry.promote("demo", 1)
    loaded = machine(s3_url, tmp_path, "b")
    loaded.verified_folder("demo", 2)  # in b's cache before the change
    s3_files.pipe_file(key(s3_url, "demo", "2", "weights.bin"), b"evil")

    fresh = machine(s3_url, tmp_path, "c")
    for someone in (fresh, loaded, registry):
        with pytest.raises(RegistryError, match=r"weights\.bin fails its sha256 check"):
            someone.verified_folder("demo", 2)
        assert "fails its sha256 check" in (someone.problem("demo", 2) or "")
    with pytest.raises(BrokenVersion, match="cannot go live"):
        fresh.promote("demo", 2)
    assert fresh.live_version("demo") == 1
    assert not (tmp_path / "c" / "cache" / "demo" / "2").exists()  # nothing refused is kept


def test_the_local_cache_is_reused_and_a_copy_changed_on_disk_fetched_again(
        s3_url: str, tmp_path: Path, s3_server: S3Server) -> None:
    writer_machine = machine(s3_url, tmp_path, "writer")
    register(writer_machine, b"weights")
    weights = key(s3_url, "demo", "1", "weights.bin")
    before = s3_server.gets(weights)
    writer_machine.verified_folder("demo", 1)
    assert s3_server.gets(weights) == before  # the writer kept what it uploaded

    reader = machine(s3_url, tmp_path, "reader")
    folder = reader.verified_folder("demo", 1)
    assert s3_server.gets(weights) == before + 1
    assert machine(s3_url, tmp_path, "reader").verified_folder("demo", 1) == folder
    assert s3_server.gets(weights) == before + 1  # a restarted process reuses the copy

    cached = folder / "weights.bin"
    cached.chmod(0o644)
    cached.write_bytes(b"changed on this disk")
    assert (reader.verified_folder("demo", 1) / "weights.bin").read_bytes() == b"weights"
    assert s3_server.gets(weights) == before + 2


def test_two_writers_racing_get_distinct_versions_and_overwrite_nothing(
        s3_url: str, tmp_path: Path, s3_server: S3Server) -> None:
    first, second = machine(s3_url, tmp_path, "a"), machine(s3_url, tmp_path, "b")
    register(first, b"existing")
    with s3_server.hold_writes("/demo/2/.claim"):
        numbers = in_threads(lambda: register(first, b"from a"),
                             lambda: register(second, b"from b"))
    assert sorted(numbers) == [2, 3]
    reader = machine(s3_url, tmp_path, "c")
    assert reader.version_numbers("demo") == [1, 2, 3]
    for number, content in zip(numbers, (b"from a", b"from b"), strict=True):
        assert (reader.verified_folder("demo", number) / "weights.bin").read_bytes() == content
    assert (reader.verified_folder("demo", 1) / "weights.bin").read_bytes() == b"existing"
    assert s3_server.refused_creates("/demo/2/.claim") == 1  # the race really ran


def test_two_writers_racing_a_promotion_lose_neither(
        s3_url: str, tmp_path: Path, s3_server: S3Server) -> None:
    first, second = machine(s3_url, tmp_path, "a"), machine(s3_url, tmp_path, "b")
    for content in (b"one", b"two", b"three"):
        register(first, content)
    first.promote("demo", 1)
    second.live_version("demo")  # both know the alias as it is, as running servers do
    with s3_server.hold_writes("/demo/live/2.json"):
        in_threads(lambda: first.promote("demo", 2), lambda: second.promote("demo", 3))
    live = first.live_version("demo")
    assert live in (2, 3)
    loser = 5 - live
    assert first.previous_live("demo") == second.previous_live("demo") == [1, loser]
    assert s3_server.refused_creates("/demo/live/2.json") == 1  # the race really ran
    assert second.rollback("demo") == loser
    assert first.rollback("demo") == 1


def test_a_version_whose_writer_died_mid_upload_is_never_listed(
        s3_url: str, tmp_path: Path, s3_files: Any) -> None:
    registry = machine(s3_url, tmp_path, "a")
    register(registry, b"whole")
    s3_files.pipe_file(key(s3_url, "demo", "2", ".claim"), b"{}")  # claimed, half uploaded
    s3_files.pipe_file(key(s3_url, "demo", "2", "weights.bin"), b"half")
    assert registry.version_numbers("demo") == [1]
    with pytest.raises(RegistryError, match="has no manifest"):
        registry.manifest("demo", 2)
    assert register(registry, b"next") == 3
    with pytest.raises(NotFound):
        registry.promote("demo", 2)


def test_a_missing_bucket_is_a_clear_error(s3_url: str, tmp_path: Path) -> None:
    registry = machine("s3://no-such-bucket-here/models", tmp_path, "a")
    assert registry.services() == []
    with pytest.raises(RegistryUnreachable, match="s3://no-such-bucket-here/models cannot write"):
        register(registry, b"x")
