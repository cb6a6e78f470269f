"""The torch-free encoder must reproduce sentence-transformers' all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest

from modelworks.core.encoders.minilm import (
    MiniLMAssets,
    SentenceEncoder,
    StaticEmbedder,
    packaged_model_dir,
)
from modelworks.services.similarity.relevance import packaged_folder, read_relevance_source
from tests.conftest import reference_rows


def test_onnx_encoder_matches_sentence_transformers(minilm_assets: MiniLMAssets) -> None:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    products = read_relevance_source(packaged_folder())[0].descriptions  # 300 short texts
    sentences = [sentence.strip() for row in reference_rows()
                 for sentence in row["synopsis"].split(". ") if sentence.strip()][:690]
    long_texts = [row["synopsis"] for row in reference_rows()[:7]]  # past the 256-token cap
    texts = [*products, *sentences, *long_texts, "", "cut wood", "a" * 3000]
    assert len(texts) == 1000
    ours = SentenceEncoder(minilm_assets.onnx_path, minilm_assets.tokenizer_path).encode(texts)
    reference = sentence_transformers.SentenceTransformer(
        str(packaged_model_dir()), device="cpu").encode(texts, batch_size=32)
    cosine = (ours * reference).sum(axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1))
    assert cosine.mean() >= 0.999
    assert cosine.min() >= 0.99


def test_static_embeddings_are_unit_vectors_that_keep_meaning(minilm_assets: MiniLMAssets
                                                              ) -> None:
    table = np.load(minilm_assets.static_path)
    assert table.shape == (30522, 384)
    embedder = StaticEmbedder(table, minilm_assets.tokenizer_path)
    vectors = embedder.embed(["a murder investigation by the police",
                              "detectives hunt a serial killer",
                              "a cartoon about talking animals for kids", ""])
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
