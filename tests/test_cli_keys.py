"""``modelworks keys``: list, revoke, rotate; a revocation reaches every worker of a real
``serve --workers 2`` within the poll interval, for the key and for its tokens."""

from __future__ import annotations

import http.client
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from modelworks.cli import app
from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import home_with_registries, make_settings, modelworks_process

POLL_SECONDS = 0.5
SLACK_SECONDS = 0.5  # a poll round's own work (model check, periodic tasks) on a busy machine
RESUME = json.dumps({"text": "Oracle DBA with RMAN, Data Guard and RAC"})


def keys(home: Path, *arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["keys", *arguments], env={"MODELWORKS_HOME": str(home)})
    return result.exit_code, result.stdout, result.stderr


def listed(home: Path) -> dict[str, dict[str, str | None]]:
    code, out, _ = keys(home, "list", "--json")
    assert code == 0
    return {key["key_id"]: key for key in json.loads(out)}


def test_list_revoke_and_rotate_in_the_homes_database(tmp_path: Path) -> None:
    code, key, _ = keys(tmp_path, "create", "--scope", "predict", "--scope", "history",
                        "--name", "reports")
    assert code == 0
    key = key.strip()
    key_id = key.split("_")[1]
    shown = listed(tmp_path)[key_id]
    assert (shown["name"], shown["scopes"], shown["revoked_at"]) == (
        "reports", "history,predict", None)
    assert key not in json.dumps(listed(tmp_path))  # never a secret

    code, new_key, err = keys(tmp_path, "rotate", key)  # the key itself names it
    assert code == 0, err
    new_key = new_key.strip()
    new_id = new_key.split("_")[1]
    after = listed(tmp_path)
    assert after[key_id]["revoked_at"] is not None
    assert (after[new_id]["name"], after[new_id]["scopes"], after[new_id]["revoked_at"]) == (
        "reports", "history,predict", None)
    assert "poll interval" in err

    code, _, err = keys(tmp_path, "rotate", key_id)
    assert code == 1
    assert "no live key" in err
    code, _, err = keys(tmp_path, "revoke", "0" * 12)
    assert code == 1
    assert "no key with id" in err
    code, _, err = keys(tmp_path, "revoke", new_id)
    assert code == 0
    assert listed(tmp_path)[new_id]["revoked_at"] is not None
    code, _, err = keys(tmp_path, "create", "--scope", "everything")
    assert code == 2
    assert "predict, history, train, admin" in err


def test_rotating_the_admin_key_rewrites_the_key_file(tmp_path: Path) -> None:
    from modelworks.server.auth import KeyStore
    from modelworks.server.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'modelworks.db'}")
    migrate(engine)
    key_file = tmp_path / "admin.key"
    first = KeyStore(engine).ensure_admin_key(key_file)
    engine.dispose()
    assert first is not None
    code, new_key, err = keys(tmp_path, "rotate", first.split("_")[1])
    assert code == 0, err
    assert key_file.read_text().strip() == new_key.strip() != first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"{key_file} holds the new key" in " ".join(err.split())


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
                resumes_registry: Path) -> Iterator[tuple[str, Path]]:
    """``serve --workers 2`` (resumes, auth required) polling every 0.5 s."""
    home = home_with_registries(tmp_path_factory.mktemp("keys-home"), resumes_registry)
    make_settings(home, minilm_assets)
    # A revoked key is a failed credential each time: the limit must not turn 401s into 429s.
    settings = {"MODELWORKS_LIVE_POLL_SECONDS": str(POLL_SECONDS),
                "MODELWORKS_AUTH_MAX_FAILURES": "100000"}
    with modelworks_process(["serve", "--services", "resumes", "--auth", "required",
                             "--workers", "2"], home, "/readyz", settings) as url:
        yield url, home


def worker_pids(url: str, home: Path) -> list[int]:
    admin = {"X-API-Key": (home / "admin.key").read_text().strip()}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = httpx.get(f"{url}/models/resumes", headers=admin).json()["workers"]
        if len(workers) == 2:
            return [int(pid) for pid in workers]
        time.sleep(0.2)
    raise AssertionError("the two workers did not both start")


def owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which process holds the server's end of the connection from ``client_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:  # closed meanwhile
                continue
    return None


def status(connection: http.client.HTTPConnection, header: dict[str, str]) -> int:
    connection.request("POST", "/api/inference", body=RESUME,
                       headers={"Content-Type": "application/json", **header})
    response = connection.getresponse()
    response.read()
    return response.status


def one_connection_per_worker(url: str, home: Path, header: dict[str, str]
                              ) -> dict[int, http.client.HTTPConnection]:
    """A kept-alive connection served by each worker (each has answered ``header`` once)."""
    port = int(url.rsplit(":", 1)[1])
    pids = worker_pids(url, home)
    held: dict[int, http.client.HTTPConnection] = {}
    spare = []
    for _ in range(60):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert status(connection, header) == 200  # answered: accepted by one worker
        pid = owner(port, connection.sock.getsockname()[1], pids)
        if pid is not None and pid not in held:
            held[pid] = connection
        else:
            spare.append(connection)
        if len(held) == 2:
            break
    for connection in spare:
        connection.close()
    assert len(held) == 2, "no connection reached the second worker"
    return held


def refused_after(connections: dict[int, http.client.HTTPConnection],
                  headers: list[dict[str, str]]) -> dict[int, float]:
    """Seconds until each worker answers 401 to every credential in ``headers``."""
    started = time.monotonic()
    waited: dict[int, float] = {}
    while len(waited) < len(connections) and time.monotonic() - started < 10:
        for pid, connection in connections.items():
            if pid not in waited and all(status(connection, h) == 401 for h in headers):
                waited[pid] = time.monotonic() - started
        time.sleep(0.02)
    return waited


def test_a_revocation_reaches_every_worker_within_the_poll_interval(
        two_workers: tuple[str, Path]) -> None:
    url, home = two_workers
    code, key, _ = keys(home, "create", "--scope", "predict", "--name", "soon revoked")
    assert code == 0
    key = key.strip()
    token = httpx.post(f"{url}/api/authenticate", json={"key": key}).json()["token"]
    by_key, by_token = {"X-API-Key": key}, {"Authorization": f"Bearer {token}"}
    connections = one_connection_per_worker(url, home, by_key)
    for connection in connections.values():  # each worker now remembers the key as verified
        assert status(connection, by_key) == status(connection, by_token) == 200

    code, _, err = keys(home, "revoke", key)
    assert code == 0, err
    waited = refused_after(connections, [by_key, by_token])
    assert set(waited) == set(connections), waited
    # Without the poll the remembered key would work 5 s more (KeyStore.remember_seconds).
    assert max(waited.values()) < POLL_SECONDS + SLACK_SECONDS, waited


def test_a_rotated_key_works_at_once_and_the_old_one_stops(
        two_workers: tuple[str, Path]) -> None:
    url, home = two_workers
    code, old, _ = keys(home, "create", "--scope", "predict", "--name", "rotated")
    old = old.strip()
    connections = one_connection_per_worker(url, home, {"X-API-Key": old})
    code, new, err = keys(home, "rotate", old)
    assert code == 0, err
    for connection in connections.values():
        assert status(connection, {"X-API-Key": new.strip()}) == 200
    waited = refused_after(connections, [{"X-API-Key": old}])
    assert set(waited) == set(connections), waited
    assert max(waited.values()) < POLL_SECONDS + SLACK_SECONDS, waited
