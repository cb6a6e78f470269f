"""Similarity: encoder speed against sentence-transformers, cache effect, FAISS scaling.

Run with ``make bench`` (or ``python -m benchmarks.similarity_bench [--sizes 10000,100000]``).
Every figure comes from this one run on this machine:

- encoding the same 1,000 sentences (the 300 products of the relevance set and 700 sentences of
  the reference synopses) with our onnxruntime encoder and with sentence-transformers + torch,
  at batch 1 and batch 32, and each one's load time;
- how long a server takes to answer ``/readyz`` after it starts;
- ``POST /predict``-sized work with the embedding cache cold and warm;
- nDCG@10 of dense, BM25 and hybrid on the relevance set;
- FAISS exact and HNSW indexes over 10k, 100k and 1M clustered 384-d unit vectors (random
  vectors are fine for a scaling curve): build time, index memory, query p50/p99 one query at a
  time, and recall@10 against exact search.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.server import running_server
from modelworks.core.encoders.minilm import (
    SentenceEncoder,
    ensure_minilm_assets,
    packaged_model_dir,
)
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings
from modelworks.core.training import train_and_register
from modelworks.services.similarity import SimilarityService
from modelworks.services.similarity.cache import MemoryCache
from modelworks.services.similarity.model import SimilarityModel
from modelworks.services.similarity.relevance import packaged_folder, read_relevance_source
from modelworks.services.similarity.vector_index import IndexChoice, VectorIndex, recall_at_k

SYNOPSES = (Path(__file__).resolve().parents[2] / "shared/datasets/radix/surrogates"
            / "daniele21-Genre_Detection/test.csv")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUERIES = 1000
SEARCH_DEPTHS = (128, 384)


def sentences() -> list[str]:
    products = read_relevance_source(packaged_folder())[0].descriptions
    extra: list[str] = []
    if SYNOPSES.exists():
        import csv

        with SYNOPSES.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                extra += [s.strip() for s in row["synopsis"].split(". ") if s.strip()]
    while len(products) + len(extra) < 1000:  # without ../shared: the products, repeated
        extra += [f"{text} ({len(extra)})" for text in products]
    return [*products, *extra][:1000]


def per_second(encode: object, texts: list[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        encode(texts[start:start + batch])  # type: ignore[operator]
    return len(texts) / (time.perf_counter() - started)


def cold_load_seconds(code: str) -> float:
    """Wall time of a fresh interpreter that imports and loads an encoder (median of 3)."""
    import subprocess

    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def encoders(home: Path, texts: list[str]) -> None:
    assets = ensure_minilm_assets(home / "assets")
    ours_cold = cold_load_seconds(
        "from pathlib import Path; from modelworks.core.encoders.minilm import SentenceEncoder; "
        f"SentenceEncoder(Path({str(assets.onnx_path)!r}), Path({str(assets.tokenizer_path)!r}))")
    started = time.perf_counter()
    ours = SentenceEncoder(assets.onnx_path, assets.tokenizer_path)
    ours_load = time.perf_counter() - started
    ours.encode(texts[:32])
    ours_1 = per_second(ours.encode, texts[:300], 1)
    ours_32 = per_second(ours.encode, texts, 32)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("sentence-transformers is not installed (make setup installs it with the dev "
              "tools); skipping the comparison")
        print(f"ours: load {ours_load:.2f} s, batch 1 {ours_1:.0f}/s, batch 32 {ours_32:.0f}/s")
        return
    reference_cold = cold_load_seconds(
        "from sentence_transformers import SentenceTransformer; "
        f"SentenceTransformer({str(packaged_model_dir())!r}, device='cpu')")
    started = time.perf_counter()
    reference = SentenceTransformer(str(packaged_model_dir()), device="cpu")
    reference_load = time.perf_counter() - started
    reference.encode(texts[:32])
    ref_1 = per_second(lambda batch: reference.encode(batch, batch_size=1), texts[:300], 1)
    ref_32 = per_second(lambda batch: reference.encode(batch, batch_size=32), texts, 32)
    ours_vectors, ref_vectors = ours.encode(texts), reference.encode(texts)
    cosine = (ours_vectors * ref_vectors).sum(1) / (
        np.linalg.norm(ours_vectors, axis=1) * np.linalg.norm(ref_vectors, axis=1))
    print(f"encoding the same {len(texts)} sentences (batch 1: the first 300):")
    print(f"  ours (onnxruntime)     cold start {ours_cold:5.2f} s  load {ours_load:5.2f} s  "
          f"batch 1 {ours_1:6.0f}/s  batch 32 {ours_32:6.0f}/s")
    print(f"  sentence-transformers  cold start {reference_cold:5.2f} s  load "
          f"{reference_load:5.2f} s  batch 1 {ref_1:6.0f}/s  batch 32 {ref_32:6.0f}/s")
    print("  (cold start: a new interpreter importing the library and loading the model)")
    print(f"  ours / theirs: batch 1 {ours_1 / ref_1:.2f}x, batch 32 {ours_32 / ref_32:.2f}x; "
          f"cosine to theirs mean {cosine.mean():.5f}, min {cosine.min():.5f}")


def service_figures(home: Path, texts: list[str]) -> None:
    settings = Settings(home=home)
    service = SimilarityService()
    service.configure(settings)
    data = service.read_training_data(service.prepare_data(settings))
    table = service.compare(data, no_progress)
    print("relevance set (300 products, 65 queries), nDCG@10:")
    for mode, metrics in table.items():
        print(f"  {mode:18s} " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    result = train_and_register(service, Registry(settings.registry_dir), data, no_progress)
    registered = Registry(settings.registry_dir).manifest("similarity", result.version or 1)
    print(f"registered version {result.version}: {registered.params}, held-out "
          f"nDCG@10 {result.metrics['ndcg@10']:.4f}")

    model = SimilarityModel.load(Registry(settings.registry_dir).verified_folder(
        "similarity", result.version or 1))
    descriptions = texts[:300]
    cold, warm = [], []
    for round_ in range(5):
        cache = MemoryCache(100_000)
        started = time.perf_counter()
        model.search([f"query {round_}"], descriptions, 10, -1.0, cache)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        model.search([f"another query {round_}"], descriptions, 10, -1.0, cache)
        warm.append((time.perf_counter() - started) * 1000)
    speedup = statistics.median(cold) / statistics.median(warm)
    print(f"one query against 300 descriptions: cache cold median "
          f"{statistics.median(cold):.1f} ms, warm (descriptions cached) median "
          f"{statistics.median(warm):.1f} ms ({speedup:.0f}x)")

    starts = []
    for _ in range(5):
        started = time.perf_counter()
        with running_server(home, "similarity"):
            starts.append(time.perf_counter() - started)
    print(f"modelworks serve --services similarity: /readyz answered a median "
          f"{statistics.median(starts):.2f} s after the process started, of 5 starts "
          f"(min {min(starts):.2f}, max {max(starts):.2f}; target < 3 s)")


def clustered(n: int, seed: int, dim: int = 384) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, 1000, stop - start)] * 0.5 + rng.standard_normal(
            (stop - start, dim)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def faiss_scaling(sizes: list[int]) -> None:
    print("FAISS, 384-d clustered unit vectors, one query at a time "
          f"({QUERIES} queries drawn like the data):")
    print(f"  {'items':>9} {'index':>12} {'build s':>8} {'memory MiB':>10} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'recall@10':>9}")
    for n in sizes:
        vectors = clustered(n, 1)
        queries = vectors[np.random.default_rng(2).integers(0, n, QUERIES)] + clustered(
            QUERIES, 3) * 0.5
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        truth = np.argsort(-(queries[:200] @ vectors.T), axis=1)[:, :10]
        for choice in (IndexChoice(exact_limit=n + 1), IndexChoice(exact_limit=0)):
            started = time.perf_counter()
            index = VectorIndex.build(vectors, choice)
            build = time.perf_counter() - started
            with tempfile.TemporaryDirectory() as scratch:  # the index's own bytes
                index.save(Path(scratch) / "index.faiss")
                memory = (Path(scratch) / "index.faiss").stat().st_size / 2**20
            depths = [choice.search_depth] if index.exact else list(SEARCH_DEPTHS)
            for depth in depths:
                index.set_search_depth(depth)
                latencies = []
                for query in queries:
                    sent = time.perf_counter()
                    index.search(query[None, :], 10)
                    latencies.append((time.perf_counter() - sent) * 1000)
                latencies.sort()
                found = index.search(queries[:200], 10)[1]
                kind = "exact" if index.exact else f"hnsw ef={depth}"
                print(f"  {n:>9,} {kind:>12} {build:>8.1f} {memory:>10.0f} "
                      f"{statistics.median(latencies):>7.3f} "
                      f"{latencies[int(0.99 * QUERIES)]:>7.3f} "
                      f"{recall_at_k(found, truth):>9.3f}", flush=True)
            del index


def main() -> None:
    sizes = list(DEFAULT_SIZES)
    if "--sizes" in sys.argv:
        sizes = [int(s) for s in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
    home = Path(tempfile.mkdtemp(prefix="similarity-bench-"))
    texts = sentences()
    encoders(home, texts)
    service_figures(home, texts)
    faiss_scaling(sizes)


if __name__ == "__main__":
    main()
