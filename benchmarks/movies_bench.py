"""Movies: the cold-start table (ours and three baselines, one run) and /api/recommend latency.

Run with ``make bench`` (or ``python -m benchmarks.movies_bench``). Latency is measured against a
real uvicorn server, one client with a kept-alive connection, after a warm-up.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.server import running_server
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings
from modelworks.core.splits import holdout_users
from modelworks.core.training import train_and_register
from modelworks.services.movies import MoviesService
from modelworks.services.movies.baselines import GlobalPopularity, Recommender, SegmentPopularity
from modelworks.services.movies.data import MovieLens
from modelworks.services.movies.evaluation import cold_start_metrics
from modelworks.services.movies.model import DemographicRecommender

REQUESTS = 2000
SEEDS = (42, 0, 1, 2, 3)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="movies-bench-"))
    settings = Settings(home=home)
    service = MoviesService()
    data = service.read_training_data(service.prepare_data(settings))
    started = time.perf_counter()
    table = service.compare(data, no_progress)
    print(f"cold-start protocol, 20% of users held out (seed 42), one run "
          f"({time.perf_counter() - started:.1f} s):")
    for name, metrics in table.items():
        print(f"  {name:42s} " + "  ".join(f"{k}={v:g}" for k, v in metrics.items()))
    across_splits(data.rows)
    started = time.perf_counter()
    result = train_and_register(service, Registry(settings.registry_dir), data, no_progress)
    print(f"train (holdout fit + refit on all users): {time.perf_counter() - started:.1f} s, "
          f"version {result.version}, promoted={result.promoted}")
    latency(home)


def across_splits(movielens: MovieLens) -> None:
    """NDCG@10 on five seeded splits: the spread between splits is larger than between models."""
    contenders: dict[str, Callable[[], Recommender]] = {
        "ours": DemographicRecommender, "segment popularity": SegmentPopularity,
        "global popularity": GlobalPopularity}
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for seed in SEEDS:
        train_users, held_users = holdout_users(movielens.n_users, seed=seed)
        train, held = movielens.subset_users(train_users), movielens.subset_users(held_users)
        for name, make in contenders.items():
            results[name].append(cold_start_metrics(make().fit(train), held)["ndcg@10"])
    print(f"NDCG@10 over seeds {SEEDS}:")
    for name, values in results.items():
        print(f"  {name:20s} mean {statistics.mean(values):.4f}  "
              + " ".join(f"{v:.4f}" for v in values))
    wins = sum(o > s for o, s in zip(results["ours"], results["segment popularity"], strict=True))
    print(f"  ours beats segment popularity on {wins} of {len(SEEDS)} splits")


def latency(home: Path) -> None:
    with running_server(home, "movies") as port:
        url = f"http://127.0.0.1:{port}"
        key = (home / "admin.key").read_text().strip()
        with httpx.Client(base_url=url) as client:
            token = client.post("/api/authenticate", json={"key": key}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            profiles = [{"age": 18 + i % 50, "gender": "MFO"[i % 3],
                         "occupation": ["student", "engineer", "retired", "artist"][i % 4]}
                        for i in range(REQUESTS)]
            for body in profiles[:200]:
                client.post("/api/recommend", json=body, headers=headers)
            times = []
            for body in profiles:
                started = time.perf_counter()
                response = client.post("/api/recommend", json=body, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        times.sort()
        p99 = times[int(len(times) * 0.99) - 1]
        print(f"/api/recommend, one client, {REQUESTS} requests: median "
              f"{statistics.median(times):.2f} ms, p99 {p99:.2f} ms (target < 10 ms)")


if __name__ == "__main__":
    main()
