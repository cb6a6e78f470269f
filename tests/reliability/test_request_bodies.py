"""Bodies are bounded while they stream, and keyed routes refuse before reading (issue 15, 3, 10).

Driven over raw sockets against a real uvicorn server: only there can a test see how much of
a body the server read before it answered.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.settings import AuthMode, Settings
from modelworks.server.app import create_app
from tests.conftest import copy_registry, make_settings
from tests.reliability.conftest import uvicorn_thread

LIMIT = 1 << 20  # MODELWORKS_MAX_UPLOAD_BYTES for these tests
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
           genres_registry: Path, resumes_registry: Path) -> Iterator[tuple[str, Settings]]:
    home = tmp_path_factory.mktemp("bodies")
    copy_registry(genres_registry, home)
    copy_registry(resumes_registry, home)
    settings = make_settings(home, minilm_assets, services=["genres", "resumes"],
                             auth=AuthMode.REQUIRED, max_upload_bytes=LIMIT)
    with uvicorn_thread(create_app(settings)) as url:
        yield url, settings


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname or "", parts.port or 0), timeout=10)


def send_until_answered(url: str, head: str, chunks: Iterator[bytes]) -> tuple[int, int]:
    """Send ``head`` then ``chunks`` until the server answers; (status, body bytes sent)."""
    sock = connect(url)
    sock.sendall(head.encode())
    sent = 0
    try:
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        reply = sock.recv(4096).decode("latin-1")
    finally:
        sock.close()
    return int(reply.split(" ", 2)[1]), sent


def chunked(total: int) -> Iterator[bytes]:
    for _ in range(total // CHUNK):
        yield f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"


def head(path: str, headers: dict[str, str]) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_chunked_body_to_authenticate_is_cut_off_at_once(
        server: tuple[str, Settings]) -> None:
    url, _ = server
    status, sent = send_until_answered(url, head("/api/authenticate", {
        "Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
        chunked(200 << 20))
    assert status == 413
    assert sent < 8 << 20  # 200 MB offered; the answer came after a few socket buffers


def test_a_chunked_body_past_the_limit_is_a_413_on_any_route(
        server: tuple[str, Settings]) -> None:
    url, settings = server
    key = settings.admin_key_file.read_text().strip()
    status, sent = send_until_answered(url, head("/api/inference", {
        "Content-Type": "application/json", "Transfer-Encoding": "chunked", "X-API-Key": key}),
        chunked(64 << 20))
    assert status == 413
    assert sent < 16 << 20


@pytest.mark.parametrize("path", ["/genres/predict", "/genres/train", "/models/genres/train"])
def test_an_upload_without_a_key_is_refused_before_its_body_is_read(
        server: tuple[str, Settings], path: str) -> None:
    url, _ = server
    sock = connect(url)
    try:
        sock.sendall(head(path, {"Content-Type": "multipart/form-data; boundary=b",
                                 "Content-Length": str(LIMIT // 2)}).encode())
        sock.sendall(b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
                     b"filename=\"a.csv\"\r\n\r\nmovie_id,synopsis\n")  # and nothing more
        reply = sock.recv(4096).decode("latin-1")  # times out if the server waits for it all
    finally:
        sock.close()
    assert reply.startswith("HTTP/1.1 401")


def test_a_json_body_to_an_upload_route_starts_no_job(server: tuple[str, Settings]) -> None:
    url, settings = server
    key = {"X-API-Key": settings.admin_key_file.read_text().strip()}
    response = httpx.post(f"{url}/models/genres/train", json={"model": "x"}, headers=key)
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["error"]
    text = httpx.post(f"{url}/models/genres/train", content=b"movie_id,synopsis\n",
                      headers={**key, "Content-Type": "text/csv"})
    assert text.status_code == 415
    assert httpx.get(f"{url}/jobs", headers=key).json()["jobs"] == []
