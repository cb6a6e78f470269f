"""Interests: generator scale, training time, held-out quality table, latency and throughput.

Run with ``make bench`` (or ``python -m benchmarks.interests_bench``). Every figure comes from
this one run: the data is generated (seed 42, with the seed users of ``../shared`` when
present), ours and the baselines are fitted on one split, the registered model is served by a
real uvicorn server with auth on, and a raw HTTP/1.1 client (``benchmarks.load``) measures it.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import run_load
from benchmarks.server import running_server
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings
from modelworks.core.training import train_and_register
from modelworks.services.interests import InterestsService

SEED_USERS = Path(__file__).resolve().parents[2] / "shared/datasets/mle-interview/users.csv"
SCALE_USERS = 1_000_000
LOAD_SECONDS = 10.0
LOAD_CONNECTIONS = 16


def main() -> None:
    if "--skip-scale" not in sys.argv:
        generator_scale()
    home = Path(tempfile.mkdtemp(prefix="interests-bench-"))
    settings = Settings(home=home)
    service = InterestsService()
    seeds = SEED_USERS if SEED_USERS.exists() else None
    started = time.perf_counter()
    folder = service.generate_data(settings, seed_users=seeds)
    print(f"generated the default data set (20,000 users) in {time.perf_counter() - started:.1f} s")
    data = service.read_training_data(folder)

    started = time.perf_counter()
    table = service.compare(data, no_progress)
    print(f"held-out users (20%, seed 42), one run ({time.perf_counter() - started:.1f} s):")
    for name, metrics in table.items():
        print(f"  {name:30s} " + "  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))

    started = time.perf_counter()
    result = train_and_register(service, Registry(settings.registry_dir), data, no_progress)
    print(f"train on 20,000 users (holdout fit + evaluation + refit + ranking known users): "
          f"{time.perf_counter() - started:.1f} s (target < 120 s), promoted={result.promoted}")
    serve_and_measure(home, data.rows.handles)


def generator_scale() -> None:
    """Generate a million users in a child process; report its time and peak memory."""
    with tempfile.TemporaryDirectory(prefix="interests-scale-") as scratch:
        code = ("import sys; from pathlib import Path; "
                "from modelworks.services.interests.generator import GeneratorConfig, generate; "
                f"generate(GeneratorConfig(n_users={SCALE_USERS}), Path(sys.argv[1]))")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, f"{scratch}/data"], check=True)
        seconds = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mib = (Path(scratch) / "data" / "users.csv").stat().st_size / 2**20
        print(f"generator: {SCALE_USERS:,} users in {seconds:.1f} s, peak memory "
              f"{peak_mib:.0f} MiB, users.csv {size_mib:.0f} MiB")


def serve_and_measure(home: Path, handles: list[str]) -> None:
    paths = [f"/interests/{handle}?top_k=15" for handle in handles]
    headers = {"X-API-Key": ""}
    for workers in (1, 2):
        with running_server(home, "interests", workers) as port:
            headers["X-API-Key"] = (home / "admin.key").read_text().strip()
            run_load("127.0.0.1", port, paths[:500], connections=4, seconds=2, headers=headers)
            if workers == 1:
                single = run_load("127.0.0.1", port, paths, connections=1,
                                  seconds=LOAD_SECONDS, headers=headers)
                print(f"GET /interests/{{handle}}?top_k=15, one client, {single.requests} "
                      f"requests: median {statistics.median(single.latencies_ms):.2f} ms, "
                      f"p99 {single.percentile(0.99):.2f} ms (target < 5 ms), "
                      f"errors {single.errors}")
            loaded = run_load("127.0.0.1", port, paths, connections=LOAD_CONNECTIONS,
                              seconds=LOAD_SECONDS, headers=headers)
            print(f"same, {LOAD_CONNECTIONS} connections for {LOAD_SECONDS:.0f} s, {workers} "
                  f"worker(s), load generator on the same 2 cores: {loaded.rate:.0f} "
                  f"requests/s (target >= 1000), median "
                  f"{statistics.median(loaded.latencies_ms):.2f} ms, p99 "
                  f"{loaded.percentile(0.99):.2f} ms, errors {loaded.errors}")


if __name__ == "__main__":
    main()
