"""Memory and throughput of `modelworks serve --workers N` with all five services.

For 1, 2 and 4 workers: the proportional set size (PSS) of the whole server (master and
workers) once every worker has answered every service, and again under steady mixed traffic;
throughput and latency of that traffic with 1 and 2 workers. The cost of an extra worker is the
growth of the server's total PSS per added worker.

Run: ``python -m benchmarks.workers_bench [--home DIR]`` (default: a fresh home, trained here).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.memory import tree_pss_mb
from benchmarks.server import server_process
from benchmarks.traffic import Answer, Call, Traffic, calls_for_every_service, steady_traffic

SERVICES = ("genres", "interests", "movies", "resumes", "similarity")
TRAFFIC_SECONDS = 15.0
CONCURRENCY = 8


@dataclass(frozen=True)
class Run:
    """What one server size measured."""

    workers: int
    warm_pss_mb: float
    loaded_pss_mb: float
    processes: list[float]
    rate: float
    p50_ms: float
    p99_ms: float
    failed: int
    failures: list[str]


def prepare_home(home: Path) -> None:
    """Default data and one trained version of every service (the CLI, as `make run` does)."""
    seed = Path(__file__).resolve().parents[2] / "shared/datasets/mle-interview/users.csv"
    _cli(home, "data", "prepare", "interests",
         *(["--seed-users", str(seed)] if seed.exists() else []))
    _cli(home, "data", "prepare")
    for service in SERVICES:
        _cli(home, "train", service, "--if-missing")


def _cli(home: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "modelworks", *args], check=True,
                   env={**os.environ, "MODELWORKS_HOME": str(home)}, stdout=subprocess.DEVNULL)


def first_user(home: Path) -> str:
    """A handle the interests model knows."""
    with (home / "data" / "interests" / "users.csv").open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["id"]


def wait_for_workers(url: str, headers: dict[str, str], workers: int) -> None:
    """Until every worker has published its loaded models."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/models/genres", headers=headers).json()
        if len(status["workers"]) == workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{workers} workers did not start in 120 s")


@dataclass(frozen=True)
class Server:
    """A started server whose workers are all up, and the traffic to send it."""

    url: str
    pid: int
    headers: dict[str, str]
    calls: list[Call]

    def traffic(self) -> AbstractContextManager[Traffic]:
        """Kept-alive mixed traffic from ``CONCURRENCY`` clients."""
        return steady_traffic(self.url, self.headers, self.calls, concurrency=CONCURRENCY,
                              fresh_connections=False)


@contextmanager
def started_server(home: Path, workers: int) -> Iterator[Server]:
    """Serve every service with ``workers`` workers until the block ends."""
    with server_process(home, ",".join(SERVICES), workers=workers) as (port, pid):
        url = f"http://127.0.0.1:{port}"
        headers = {"X-API-Key": (home / "admin.key").read_text().strip()}
        wait_for_workers(url, headers, workers)
        calls = calls_for_every_service(httpx.get(f"{url}/openapi.json").json(),
                                        {"user_handle": first_user(home)})
        yield Server(url, pid, headers, calls)


def measure(home: Path, workers: int) -> Run:
    """Start a server of ``workers`` workers, warm it, then measure it idle and loaded."""
    with started_server(home, workers) as server:
        with server.traffic() as warm:
            time.sleep(3)  # every worker answers every service a few times
        assert not warm.errors, warm.errors[:3]
        time.sleep(11)  # past the heap trim that follows a burst
        warm_pss = tree_pss_mb(server.pid)
        with server.traffic() as traffic:
            time.sleep(TRAFFIC_SECONDS / 2)
            loaded_pss = tree_pss_mb(server.pid)
            time.sleep(TRAFFIC_SECONDS / 2)
    answers: list[Answer] = traffic.answers
    refused = [f"{a.service}: HTTP {a.status}" for a in answers if a.status != 200]
    latencies = sorted((a.finished - a.started) * 1000 for a in answers)
    return Run(workers, sum(warm_pss.values()), sum(loaded_pss.values()),
               [round(v, 1) for v in loaded_pss.values()],
               rate=len(answers) / TRAFFIC_SECONDS, p50_ms=statistics.median(latencies),
               p99_ms=latencies[int(len(latencies) * 0.99)],
               failed=len(traffic.errors) + len(refused),
               failures=[*traffic.errors[:3], *refused[:3]])


def latency_figures(answers: list[Answer], seconds: float) -> str:
    """Requests/s, median and p99 latency of a traffic run."""
    latencies = sorted((a.finished - a.started) * 1000 for a in answers)
    return (f"{len(answers) / seconds:.0f} requests/s, p50 {statistics.median(latencies):.1f} ms,"
            f" p99 {latencies[int(len(latencies) * 0.99)]:.1f} ms")


def serving_during_training(home: Path, workers: int = 2) -> None:
    """Mixed traffic alone, then while a genres training job runs (evaluated, not promoted)."""
    with started_server(home, workers) as server:
        with server.traffic() as alone:
            time.sleep(TRAFFIC_SECONDS)
        job = httpx.post(f"{server.url}/models/genres/train", headers=server.headers,
                         data={"register": "false", "name": "bench"}).json()["job_id"]
        started = time.monotonic()
        with server.traffic() as during:
            state = "queued"
            while state in ("queued", "running") and time.monotonic() - started < 300:
                time.sleep(1)
                state = httpx.get(f"{server.url}/jobs/{job}",
                                  headers=server.headers).json()["state"]
        seconds = time.monotonic() - started
    failed = len(alone.errors) + len(during.errors) + sum(
        a.status != 200 for a in [*alone.answers, *during.answers])
    print(f"\nserving with {workers} workers while a genres training job runs "
          f"(SCHED_IDLE, {seconds:.0f} s, job {state}; {failed} failed requests):")
    print(f"  alone:          {latency_figures(alone.answers, TRAFFIC_SECONDS)}")
    print(f"  during the job: {latency_figures(during.answers, seconds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="a home with every service trained")
    home = parser.parse_args().home
    if home is None:
        home = Path(tempfile.mkdtemp(prefix="workers-bench-"))
        print(f"training every service in {home} ...", flush=True)
        prepare_home(home)
    runs = {n: measure(home, n) for n in (1, 2, 4)}
    print(f"\nserve --workers N, all five services, {CONCURRENCY} kept-alive clients of mixed "
          f"traffic on the same machine ({TRAFFIC_SECONDS:.0f} s); 1 worker is one process, "
          "N > 1 a master plus N forked workers")
    print("| workers | PSS warm, idle (MB) | PSS under load (MB) | per process under load "
          "| requests/s | p50 ms | p99 ms | failed |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs.values():
        print(f"| {run.workers} | {run.warm_pss_mb:.0f} | {run.loaded_pss_mb:.0f} | "
              f"{run.processes} | {run.rate:.0f} | {run.p50_ms:.1f} | {run.p99_ms:.1f} | "
              f"{run.failed} |")
    for run in runs.values():
        if run.failures:
            print(f"failures with {run.workers} workers, first ones: {run.failures}")
    for low, high in ((1, 2), (2, 4)):
        extra = high - low
        warm = (runs[high].warm_pss_mb - runs[low].warm_pss_mb) / extra
        loaded = (runs[high].loaded_pss_mb - runs[low].loaded_pss_mb) / extra
        print(f"each extra worker {low} -> {high}: {warm:.1f} MB PSS warm, "
              f"{loaded:.1f} MB under load")
    serving_during_training(home)


if __name__ == "__main__":
    main()
