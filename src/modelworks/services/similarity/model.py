"""The registered similarity model: the MiniLM ONNX encoder plus how it ranks (mode, weight)."""

from __future__ import annotations

import json
import shutil
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelworks.core.encoders.minilm import MiniLMAssets, SentenceEncoder
from modelworks.core.registry import sha256_file
from modelworks.services.similarity.cache import EmbeddingCache, embed_with_cache
from modelworks.services.similarity.ranking import Mode, bm25_scores, hybrid_scores
from modelworks.services.similarity.schemas import PredictRequest

ENCODER, TOKENIZER, META = "encoder.onnx", "tokenizer.json", "similarity.json"


@dataclass(frozen=True)
class Match:
    """One description found for a query."""

    index: int
    score: float


_ENCODERS: weakref.WeakValueDictionary[tuple[str, int], SentenceEncoder] = (
    weakref.WeakValueDictionary())
_ENCODERS_LOCK = threading.Lock()


def shared_encoder(onnx_path: Path, tokenizer_path: Path, encoder_id: str,
                   threads: int) -> SentenceEncoder:
    """One loaded encoder per content hash in this process, shared by every version using it.

    Versions differ in mode, weights and catalogue, rarely in the encoder, so a swap reuses the
    session already in memory: it is not loaded twice, and in forked workers the session the
    master loaded stays shared instead of being copied into each worker.
    """
    key = (encoder_id, threads)
    with _ENCODERS_LOCK:
        encoder = _ENCODERS.get(key)
        if encoder is None:
            encoder = SentenceEncoder(onnx_path, tokenizer_path, threads=threads)
            _ENCODERS[key] = encoder
        return encoder


class SimilarityModel:
    """Ranks descriptions for queries; nothing is learned but the mode and the hybrid weight.

    The encoder's files are copied into every version, so a version is self-contained and
    verified by hash like any other, and no other file shares its bytes on disk.
    """

    def __init__(self, mode: Mode = Mode.DENSE, dense_weight: float = 1.0) -> None:
        self.mode = mode
        self.dense_weight = dense_weight

    def get_params(self) -> dict[str, Any]:
        """The ranking mode and the hybrid weight."""
        return {"mode": self.mode.value, "dense_weight": self.dense_weight}

    def attach(self, onnx_path: Path, tokenizer_path: Path, encoder_id: str,
               threads: int = 0) -> SimilarityModel:
        """Load the encoder (or reuse the one already loaded with the same hash); ``self``."""
        self.encoder_ = shared_encoder(onnx_path, tokenizer_path, encoder_id, threads)
        self.onnx_path_, self.tokenizer_path_, self.encoder_id_ = (onnx_path, tokenizer_path,
                                                                    encoder_id)
        return self

    @classmethod
    def from_assets(cls, assets: MiniLMAssets, mode: Mode = Mode.DENSE,
                    dense_weight: float = 1.0) -> SimilarityModel:
        """A model over the cached encoder assets."""
        return cls(mode, dense_weight).attach(assets.onnx_path, assets.tokenizer_path,
                                              sha256_file(assets.onnx_path))

    def save(self, folder: Path) -> None:
        """The encoder files and the ranking choice."""
        shutil.copyfile(self.onnx_path_, folder / ENCODER)
        shutil.copyfile(self.tokenizer_path_, folder / TOKENIZER)
        (folder / META).write_text(json.dumps({**self.get_params(),
                                               "encoder_id": self.encoder_id_}))

    @classmethod
    def load(cls, folder: Path, threads: int = 0) -> SimilarityModel:
        """Load a saved version (the registry has verified its files)."""
        meta = json.loads((folder / META).read_text())
        model = cls(Mode(meta["mode"]), float(meta["dense_weight"]))
        return model.attach(folder / ENCODER, folder / TOKENIZER, meta["encoder_id"],
                            threads=threads)

    def embed(self, texts: list[str], cache: EmbeddingCache | None = None) -> NDArray[np.float32]:
        """Unit vectors of ``texts``, through ``cache`` when one is given."""
        if cache is None:
            return self.encoder_.encode(texts)
        return embed_with_cache(texts, self.encoder_id_, cache, self.encoder_.encode)

    def scores(self, queries: list[str], descriptions: list[str],
               cache: EmbeddingCache | None = None, mode: Mode | None = None
               ) -> NDArray[np.float32]:
        """Queries x descriptions scores in ``mode`` (default: the model's)."""
        mode = mode or self.mode
        if mode is Mode.BM25:
            return bm25_scores(queries, descriptions)
        dense = self.embed(queries, cache) @ self.embed(descriptions, cache).T
        return self._combine(np.asarray(dense, dtype=np.float32), queries, descriptions, mode)

    def _combine(self, dense: NDArray[np.float32], queries: list[str], descriptions: list[str],
                 mode: Mode) -> NDArray[np.float32]:
        if mode is Mode.DENSE:
            return dense
        return hybrid_scores(dense, bm25_scores(queries, descriptions), self.dense_weight)

    def search(self, queries: list[str], descriptions: list[str], top_k: int,
               min_score: float, cache: EmbeddingCache | None = None) -> list[list[Match]]:
        """For each query, at most ``top_k`` descriptions scoring ``min_score`` or more."""
        return self.search_many([PredictRequest(queries, descriptions, top_k, min_score)], cache)[0]

    def search_many(self, searches: list[PredictRequest], cache: EmbeddingCache | None = None
                    ) -> list[list[list[Match]]]:
        """``search`` for several requests at once: every text of them is embedded in one call.

        The encoder's cost per call is what a batch saves (its own batches group texts of
        similar length), and a text that several requests share is embedded once.
        """
        vectors: NDArray[np.float32] | None = None
        row: dict[str, int] = {}
        if self.mode is not Mode.BM25:
            texts = list(dict.fromkeys(text for search in searches
                                       for text in (*search.queries, *search.descriptions)))
            row = {text: number for number, text in enumerate(texts)}
            vectors = self.embed(texts, cache)
        answers = []
        for search in searches:
            if vectors is None:
                scores = bm25_scores(search.queries, search.descriptions)
            else:
                dense = (vectors[[row[text] for text in search.queries]]
                         @ vectors[[row[text] for text in search.descriptions]].T)
                scores = self._combine(np.asarray(dense, dtype=np.float32), search.queries,
                                       search.descriptions, self.mode)
            answers.append(_best(scores, search.top_k, search.min_score))
        return answers


def _best(scores: NDArray[np.float32], top_k: int, min_score: float) -> list[list[Match]]:
    results = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:top_k]
        results.append([Match(int(i), float(row[i])) for i in order if row[i] >= min_score])
    return results
