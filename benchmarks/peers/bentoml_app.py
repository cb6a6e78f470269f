"""BentoML serving the same model, as its documentation shows (``PEER_BATCH``: batch size)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import bentoml

from benchmarks.peers.work import (
    genre_answers,
    interests_of,
    live_model,
    resume_labels,
    service_name,
    similarity_answers,
    similarity_cache,
)

SERVICE = service_name()
BATCH = int(os.environ.get("PEER_BATCH", "0"))


@bentoml.service(workers=1)
class Peer:
    """One service's model behind BentoML."""

    def __init__(self) -> None:
        self.model = live_model(SERVICE)
        self.cache = similarity_cache()

    if BATCH:
        @bentoml.api(route="/api/inference", batchable=True, max_batch_size=BATCH,
                     max_latency_ms=1000)
        def inference(self, texts: list[str]) -> list[int]:
            return resume_labels(self.model, texts)
    else:
        @bentoml.api(route="/api/inference")
        def inference(self, text: str) -> int:
            return resume_labels(self.model, [text])[0]

    if BATCH:
        @bentoml.api(route="/predict", batchable=True, max_batch_size=BATCH,
                     max_latency_ms=1000)
        def predict(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return similarity_answers(self.model, self.cache, bodies)
    else:
        @bentoml.api(route="/predict")
        def predict(self, query: list[str], product_descriptions: list[str]
                    ) -> dict[str, Any]:
            return similarity_answers(self.model, self.cache, [
                {"query": query, "product_descriptions": product_descriptions}])[0]

    @bentoml.api(route="/genres/predict")
    def genres(self, file: Path) -> dict[str, Any]:
        return genre_answers(self.model, [file.read_bytes()])[0]

    @bentoml.api(route="/interests")
    def interests(self, user_handle: str, top_k: int = 15) -> dict[str, Any]:
        return interests_of(self.model, user_handle, top_k) or {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    bentoml_cli = os.path.join(os.path.dirname(sys.executable), "bentoml")
    os.execv(bentoml_cli, [bentoml_cli, "serve", "benchmarks.peers.bentoml_app:Peer",
                           "--port", str(port), "--host", "127.0.0.1"])


if __name__ == "__main__":
    main()
