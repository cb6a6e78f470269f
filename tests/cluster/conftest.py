"""A real two-node Ray cluster on this machine, PostgreSQL and S3 (moto's server) for it.

Both nodes are ``ray start`` processes with their own ports; the head takes serving (the
custom resource ``serving``), the second node training (``training``). Everything started
here is stopped here, by process id, also when a test fails: the Ray processes are found by
the temporary folder only this cluster uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import free_port
from tests.s3_server import S3Server

RAY = Path(sys.executable).parent / "ray"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NODE_CPUS = 2
OBJECT_STORE_BYTES = 200_000_000


@dataclass(frozen=True)
class Cluster:
    """Where the head's GCS listens, the folder only this cluster's processes name, and the
    variables every Ray process and client of this cluster needs (its own auth token)."""

    address: str
    temp_dir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def cluster_database() -> Iterator[str]:
    """A PostgreSQL database created for this module and dropped after it."""
    name = f"mw_ray_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _node_ports() -> list[str]:
    base = free_port()
    return [f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
            # Worker processes listen on ports of this range; far from the others' picks.
            f"--min-worker-port={20000 + base % 20000}",
            f"--max-worker-port={20000 + base % 20000 + 99}"]


def _ray_start(arguments: list[str], env: dict[str, str]) -> None:
    common = ["--disable-usage-stats", f"--num-cpus={NODE_CPUS}",
              f"--object-store-memory={OBJECT_STORE_BYTES}"]
    started = subprocess.run([str(RAY), "start", *arguments, *common], env=env,
                             capture_output=True, text=True, timeout=180, check=False)
    if started.returncode != 0:
        raise AssertionError(f"ray start failed:\n{started.stdout}\n{started.stderr}")


def stop_cluster(temp_dir: Path) -> None:
    """SIGKILL every process whose command line names ``temp_dir`` (this cluster's alone)."""
    marker = str(temp_dir).encode()
    for _ in range(3):  # a dying raylet may still start a worker: look again
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes()
                environ = (entry / "environ").read_bytes()
            except OSError:  # gone meanwhile, or not ours to read
                continue
            if marker in command or marker in environ:
                found.append(int(entry.name))
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not found:
            return
        time.sleep(0.5)


@pytest.fixture(scope="module")
def s3_environment(s3_server: S3Server) -> dict[str, str]:
    """The AWS variables that point every process of the cluster at moto's S3 server.

    Given to the Ray nodes (their replicas and tasks inherit them), as a real cluster's nodes
    carry their own credentials; never passed through Ray itself.
    """
    return {"AWS_ENDPOINT_URL": s3_server.endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


@pytest.fixture(scope="module")
def s3_registry_url(s3_files: Any) -> str:
    """A registry URL in a bucket of this module's own."""
    bucket = f"ray-registry-{uuid.uuid4().hex[:12]}"
    s3_files.mkdir(bucket)
    return f"s3://{bucket}/models"


@pytest.fixture(scope="module")
def ray_cluster(s3_environment: dict[str, str]) -> Iterator[Cluster]:
    """Head (serving) and a second node (training) on this machine, stopped afterwards."""
    pytest.importorskip("ray")
    # Short: Ray's socket paths live under it, and Unix socket paths are at most 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="mwray-", dir="/tmp"))
    gcs = free_port()
    address = f"127.0.0.1:{gcs}"
    # Ray 2.5x+ authenticates its RPCs with a token; one of this cluster's own, rather than
    # the user's ~/.ray/auth_token, which another cluster may have written.
    env = {"RAY_TMPDIR": str(temp_dir), "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32), **s3_environment}
    try:
        _ray_start(["--head", f"--port={gcs}", "--node-ip-address=127.0.0.1",
                    "--include-dashboard=false", f"--ray-client-server-port={free_port()}",
                    f"--temp-dir={temp_dir}", "--resources=" + json.dumps({"serving": 100}),
                    *_node_ports()], {**os.environ, **env})
        _ray_start([f"--address={address}", "--node-ip-address=127.0.0.1",
                    "--resources=" + json.dumps({"training": 1}), *_node_ports()],
                   {**os.environ, **env})
        yield Cluster(address, temp_dir, env)
    finally:
        stop_cluster(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
