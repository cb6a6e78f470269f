"""Low-severity findings (issue 15, item 12): answers are not cached or sniffed, every log
line of a multi-worker server is JSON, and a wrong Redis URL costs one slow call, not one per
request.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import orjson

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.services.similarity.cache import RedisCache
from tests.conftest import copy_registry, make_settings, modelworks_process


def test_every_line_of_a_two_worker_server_is_json_and_answers_are_private(
        tmp_path: Path, minilm_assets: MiniLMAssets, movies_registry: Path) -> None:
    copy_registry(movies_registry, tmp_path)
    make_settings(tmp_path, minilm_assets)
    with modelworks_process(["serve", "--services", "movies", "--auth", "off",
                             "--workers", "2"], tmp_path, "/readyz",
                            {"MODELWORKS_LOG_LEVEL": "INFO"}) as url:
        answer = httpx.post(f"{url}/api/recommend",
                            json={"age": 30, "gender": "F", "occupation": "writer"})
        missing = httpx.get(f"{url}/nowhere")
    for response in (answer, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    lines = [line for line in (tmp_path / "serve.log").read_text().splitlines() if line]
    assert any("Booting worker" in line for line in lines)  # gunicorn's own lines are there
    records = [orjson.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    # The start-up banner is one record there, with the URLs a person would look for.
    ready = [record for record in records if record.get("message") == "ready"]
    assert len(ready) == 1, ready
    assert ready[0]["API"] == url
    assert ready[0]["docs"] == f"{url}/docs"


def test_a_redis_that_never_answers_is_tried_once_per_cooldown() -> None:
    silent = socket.socket()  # accepts connections and says nothing: a hung server
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(silent.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    cache = RedisCache(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", cooldown_seconds=30)
    try:
        assert cache.get_many(["a", "b"]) == [None, None]
        assert not cache.available
        for _ in range(20):
            assert cache.get_many(["a"]) == [None]
            cache.put_many({"a": np.zeros(384, dtype=np.float32)})
        time.sleep(0.2)
        assert len(accepted) == 1  # one call timed out; the breaker answered the other forty
        assert cache.misses == 22
    finally:
        silent.close()
