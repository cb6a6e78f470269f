"""`modelworks serve --workers 2`: one admin key, and an added user answered on every connection.

Which worker takes a connection is the kernel's choice; the cross-worker paths themselves
(primary-key lookup, watermark sync) are tested directly in ``test_directory.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.conftest import copy_registry


def test_two_workers_share_added_users(tmp_path: Path, interests_registry: Path) -> None:
    copy_registry(interests_registry, tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MODELWORKS_HOME": str(tmp_path), "MODELWORKS_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "modelworks", "serve", "--port", str(port), "--workers", "2",
         "--services", "interests"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        # Started by the parent, before the workers: one admin key, not one per worker.
        headers = {"X-API-Key": (tmp_path / "admin.key").read_text().strip()}
        handle = str(uuid.uuid4())
        with httpx.Client(base_url=url, headers=headers) as first:
            added = first.post("/interests/users", json={"users": [
                {"user_handle": handle, "name": "Shared", "type": "B2B",
                 "consumed": [1, 2, 3]}]})
            assert added.status_code == 200, added.text
        for _ in range(30):  # new connections spread over both workers
            with httpx.Client(base_url=url, headers=headers) as client:
                response = client.get(f"/interests/{handle}", params={"top_k": 3})
                assert response.status_code == 200, response.text
                assert response.json()["name"] == "Shared"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert errors.count(b"created the first admin key") == 1


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become ready")
