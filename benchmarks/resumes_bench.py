"""Resumes: the three models on the fixed split, the real sample resumes, inference latency.

Run with ``make bench`` (or ``python -m benchmarks.resumes_bench``). Every figure comes from
this one run: the default data is generated (1,600 resumes, seed 42), each model kind is
fitted on the fixed 80% and measured on the 20%, each is refitted on every row and asked about
the 14 real resumes of ``../shared`` (when present), and the registered default model is served
by a real server with auth on, where one client sends resumes one at a time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.server import running_server
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.service import TrainOptions
from modelworks.core.settings import Settings
from modelworks.core.training import train_and_register
from modelworks.services.resumes import ResumesService
from modelworks.services.resumes.data import Resumes
from modelworks.services.resumes.model import ResumeModel
from modelworks.services.resumes.vocabulary import CATEGORIES

SAMPLES = Path(__file__).resolve().parents[2] / "shared/datasets/resume-classifier/samples"
REQUESTS = 300


def sample_texts() -> dict[str, str]:
    """Category -> real resume text, for the categories whose file exists."""
    found = {}
    for category in CATEGORIES:
        stem = "DOT_NET_DEVELOPER" if category == ".Net Developer" else "_".join(
            category.upper().split())
        path = SAMPLES / f"{stem}.txt"
        if path.exists():
            found[category] = path.read_text(encoding="utf-8", errors="replace")
    return found


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="resumes-bench-"))
    settings = Settings(home=home)
    service = ResumesService()
    service.configure(settings)
    data = service.read_training_data(service.prepare_data(settings))

    started = time.perf_counter()
    table = service.compare(data, no_progress)
    print(f"held-out resumes (fixed stratified 20%, seed 42), one run "
          f"({time.perf_counter() - started:.1f} s):")
    for name, metrics in table.items():
        print(f"  {name:16s} " + "  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    gap = table["tfidf-logistic"]["weighted_f1"] - table["naive-bayes"]["weighted_f1"]
    print(f"  tfidf-logistic beats the baseline by {gap:.4f} weighted F1 (target >= 0.03)")

    samples = sample_texts()
    if samples:
        resumes: Resumes = data.rows
        for kind in service.model_kinds:
            model: ResumeModel = service.with_model(kind).fit(data, no_progress)
            named = model.classify(list(samples.values()))
            wrong = [f"{truth} -> {answer.category}" for truth, answer in
                     zip(samples, named, strict=True) if answer.category != truth]
            print(f"real sample resumes, {kind} on all {len(resumes)} rows: "
                  f"{len(samples) - len(wrong)}/{len(samples)} named"
                  + (f" (wrong: {'; '.join(wrong)})" if wrong else ""))

    started = time.perf_counter()
    result = train_and_register(service, Registry(settings.registry_dir), data, no_progress,
                                TrainOptions())
    print(f"train + register tfidf-logistic: {time.perf_counter() - started:.1f} s, "
          f"promoted={result.promoted} ({result.reason})")
    texts = list(samples.values()) or [text for text in data.rows.texts[:14]]
    with running_server(home, "resumes") as port:
        headers = {"X-API-Key": (home / "admin.key").read_text().strip()}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            latencies = []
            for i in range(REQUESTS):
                sent = time.perf_counter()
                client.post("/api/inference", json={"text": texts[i % len(texts)]}
                            ).raise_for_status()
                latencies.append((time.perf_counter() - sent) * 1000)
            stored = client.get("/api/predictions", params={"limit": 1}).json()["total"]
    latencies.sort()
    size_kb = statistics.mean(len(text.encode()) for text in texts) / 1024
    print(f"POST /api/inference, resumes of {size_kb:.1f} KB on average, one client, "
          f"{REQUESTS} requests: "
          f"median {statistics.median(latencies):.2f} ms, p99 "
          f"{latencies[int(0.99 * len(latencies)) - 1]:.2f} ms; rows stored: {stored}")


if __name__ == "__main__":
    main()
