"""LitServe serving the same model, as its documentation shows (``PEER_BATCH``: batch size)."""

from __future__ import annotations

import argparse
import os
from typing import Any

import litserve as ls

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


class ResumesAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = live_model("resumes")

    def decode_request(self, request):  # no annotation: LitServe would read it as a query
        return str(request["text"])

    def predict(self, texts: Any) -> Any:
        if isinstance(texts, list):  # a batch
            return resume_labels(self.model, texts)
        return resume_labels(self.model, [texts])[0]

    def encode_response(self, label: int) -> int:
        return label


class InterestsAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = live_model("interests")

    def decode_request(self, request):  # no annotation: LitServe would read it as a query
        return str(request["user_handle"]), int(request.get("top_k", 15))

    def predict(self, query: tuple[str, int]) -> Any:
        return interests_of(self.model, *query)

    def encode_response(self, answer: Any) -> Any:
        return answer


class SimilarityAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = live_model("similarity")
        self.cache = similarity_cache()

    def decode_request(self, request):  # no annotation: LitServe would read it as a query
        return dict(request)

    def predict(self, bodies: Any) -> Any:
        if isinstance(bodies, list):  # a batch
            return similarity_answers(self.model, self.cache, bodies)
        return similarity_answers(self.model, self.cache, [bodies])[0]

    def encode_response(self, answer: Any) -> Any:
        return answer


class GenresAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = live_model("genres")

    def decode_request(self, request):  # the multipart form, as LitServe reads it
        return request["file"].file.read()

    def predict(self, uploads: Any) -> Any:
        if isinstance(uploads, list):  # a batch
            return genre_answers(self.model, uploads)
        return genre_answers(self.model, [uploads])[0]

    def encode_response(self, answer: Any) -> Any:
        return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    batching = {"max_batch_size": BATCH, "batch_timeout": 0.01} if BATCH else {}
    if SERVICE == "resumes":
        api: ls.LitAPI = ResumesAPI(api_path="/api/inference", **batching)
    elif SERVICE == "similarity":
        api = SimilarityAPI(api_path="/predict", **batching)
    elif SERVICE == "genres":
        api = GenresAPI(api_path="/genres/predict", **batching)
    else:
        api = InterestsAPI(api_path="/interests")
    ls.LitServer(api, accelerator="cpu", workers_per_device=1).run(port=port,
                                                                     generate_client_file=False)


if __name__ == "__main__":
    main()
