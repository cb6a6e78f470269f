"""``serve --ray`` on a real two-node Ray cluster under steady load on all five services.

One head node serves (every replica asks for the ``serving`` resource only it has), a second
node trains (the ``training`` resource), both on this machine with their own ports; jobs,
keys and the prediction log are in PostgreSQL, the registry in S3 (moto's server). While
eight clients send every service's prediction request round-robin, the test promotes a new
version of each service and times each replica's pick-up, SIGKILLs one of genres' two
replicas and counts what failed, and runs a genres training job on the second node while it
compares serving latency with the time before. Its figures are printed (``-s``) and written
to ``ray-cluster-figures.json`` in the test's home; docs/deployment.md quotes a run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.traffic import Answer, calls_for_every_service, steady_traffic
from modelworks.core.registry import Registry
from tests.cluster.conftest import RAY, Cluster
from tests.conftest import (
    ALL_SERVICES,
    SEED_USERS_FILE,
    RunningApi,
    modelworks_process,
    movies_csv,
    register_copy,
)

pytestmark = pytest.mark.slow

POLL_SECONDS = 0.5
CONCURRENCY = 8
REPLICAS = {"interests": 2, "genres": 2}
"""Services with two replicas: the one killed keeps a sibling serving."""
KILLED = "genres"
"""Its CSV predictions take tens of milliseconds, so the killed replica has requests on it."""
PICK_UP_LIMIT_SECONDS = POLL_SECONDS + 10.0
"""The poll interval plus a model load on a busy 2-core machine (similarity's encoder)."""


@pytest.fixture(scope="module")
def cluster_api(ray_cluster: Cluster, cluster_database: str, s3_registry_url: str,
                s3_environment: dict[str, str], s3_registry: Registry,
                tmp_path_factory: pytest.TempPathFactory, genres_registry: Path,
                interests_registry: Path, movies_registry: Path, resumes_registry: Path,
                similarity_registry: Path, minilm_assets: object) -> Iterator[RunningApi]:
    """``modelworks serve --ray --ray-address HEAD`` with every service, auth required."""
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("ray-home")
    make_settings(home, minilm_assets)  # type: ignore[arg-type]  # links the encoder assets
    for name, source in (("genres", genres_registry), ("interests", interests_registry),
                         ("movies", movies_registry), ("resumes", resumes_registry),
                         ("similarity", similarity_registry)):
        s3_registry.promote(name, copy_live_version(Registry(source), s3_registry, name))
    deployments = {name: {"num_replicas": REPLICAS.get(name, 1), "num_cpus": 0.2,
                          "resources": {"serving": 1}} for name in ALL_SERVICES}
    env = {"MODELWORKS_DATABASE_URL": cluster_database,
           "MODELWORKS_REGISTRY_URL": s3_registry_url, **s3_environment,
           "MODELWORKS_RAY_PROXY_LOCATION": "HeadOnly",
           "MODELWORKS_RAY_DEPLOYMENTS": json.dumps(deployments),
           "MODELWORKS_RAY_TRAINING_RESOURCE": "training",
           "MODELWORKS_RAY_TRAINING_CPUS": "1",
           "MODELWORKS_LIVE_POLL_SECONDS": str(POLL_SECONDS),
           "MODELWORKS_AUTH_MAX_FAILURES": "1000", **ray_cluster.env}
    command = ["serve", "--ray", "--ray-address", ray_cluster.address, "--services",
               ",".join(ALL_SERVICES)]
    with modelworks_process(command, home, "/readyz", env, ready_timeout=300) as url:
        yield RunningApi(url, home)


@pytest.fixture(scope="module")
def s3_registry(s3_registry_url: str, s3_environment: dict[str, str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The cluster's registry as this process reaches it (moto's server, by its variables)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in s3_environment.items():
            patch.setenv(name, value)
        yield Registry(s3_registry_url, cache_dir=tmp_path_factory.mktemp("s3-cache"))


def copy_live_version(source: Registry, target: Registry, service: str) -> int:
    """Register ``source``'s live version of ``service`` in ``target``; its new number."""
    return register_copy(source, service, target, keep_notes=True)


def replicas(api: RunningApi, service: str) -> dict[str, dict[str, object]]:
    answer = httpx.get(f"{api.url}/models/{service}", headers=api.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    workers: dict[str, dict[str, object]] = answer.json()["workers"]
    return workers


def wait_for_replicas(api: RunningApi, service: str, count: int, timeout: float = 120
                      ) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = replicas(api, service)
        if len(found) == count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{service} did not have {count} replicas in {timeout} s")


def failed(answers: list[Answer], start: float, end: float) -> list[Answer]:
    return [a for a in answers if start <= a.started < end and a.status != 200]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies_ms(answers: list[Answer], start: float, end: float) -> list[float]:
    return [(a.finished - a.started) * 1000 for a in answers
            if start <= a.started < end and a.status == 200]


def training_in_use(cluster: Cluster) -> bool:
    """Whether the second node's ``training`` resource is taken (``ray status``)."""
    status = subprocess.run([str(RAY), "status", f"--address={cluster.address}"],
                            capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, **cluster.env})
    return any(line.strip().startswith("1.0/1.0 training") for line in
               status.stdout.splitlines())


def promote_everything(api: RunningApi, registry: Registry) -> dict[str, dict[str, float]]:
    """Promote a copy of each live version; seconds until each replica serves it."""
    pick_up: dict[str, dict[str, float]] = {}
    for service in ALL_SERVICES:
        new = register_copy(registry, service)
        moved = time.monotonic()
        answer = httpx.put(f"{api.url}/models/{service}/live", json={"version": new},
                           headers=api.headers, timeout=60)
        assert answer.status_code == 200, answer.text
        seen: dict[str, float] = {}
        deadline = moved + 60
        while time.monotonic() < deadline:
            now = time.monotonic()
            for pid, state in replicas(api, service).items():
                if state["loaded"] == new and pid not in seen:
                    seen[pid] = round(now - moved, 2)
            if len(seen) == REPLICAS.get(service, 1):
                break
            time.sleep(0.05)
        pick_up[service] = seen
    return pick_up


def slow_csv(rows: list[dict[str, str]]) -> bytes:
    """5,000 synopses to rank: a genres prediction that takes a second or more here."""
    many = [{**row, "movie_id": f"{row['movie_id']}{copy}"} for copy in range(50)
            for row in rows]
    return movies_csv(many, with_genres=False)


def test_a_two_node_cluster_promotes_survives_a_replica_kill_and_trains_aside(
        cluster_api: RunningApi, ray_cluster: Cluster, small_training_csv: bytes,
        small_test_rows: list[dict[str, str]], s3_registry: Registry) -> None:
    api = cluster_api
    openapi = httpx.get(f"{api.url}/openapi.json", timeout=30).json()
    handle = SEED_USERS_FILE.read_text().splitlines()[1].split(",")[0]
    calls = calls_for_every_service(openapi, {"user_handle": handle})
    assert {call.service for call in calls} == set(ALL_SERVICES)
    for service, count in REPLICAS.items():
        wait_for_replicas(api, service, count)
    figures: dict[str, object] = {}
    with steady_traffic(api.url, api.headers, calls, CONCURRENCY,
                        fresh_connections=False) as traffic:
        time.sleep(5)  # warm
        quiet_start = time.monotonic()
        time.sleep(20)
        quiet_end = time.monotonic()

        pick_up = promote_everything(api, s3_registry)
        figures["promotion_pick_up_seconds"] = pick_up

        figures["replica_memory_mb"] = replica_memory(api)
        slow: dict[str, httpx.Response] = {}
        killed_at, window_end, restarted = kill_one_replica(api, slow_csv(small_test_rows),
                                                            slow)
        figures["replica_kill"] = {
            "requests": sum(1 for a in traffic.answers if killed_at <= a.started < window_end),
            "failed": len(failed(traffic.answers, killed_at, window_end)),
            "transport_errors": len(traffic.errors),
            "resent_by_the_ingress": resent(api),
            "slow_request_on_the_killed_replica": slow["answer"].status_code,
            "replacement_ready_seconds": round(restarted - killed_at, 1)}

        job_start, job_end, job = train_on_the_second_node(api, ray_cluster,
                                                           small_training_csv)
        figures["training"] = {"seconds": round(job_end - job_start, 1),
                               "state": job["state"], "ran_on_training_node": job["seen"]}
    answers = traffic.answers
    figures["total"] = {"requests": len(answers),
                        "failed": sum(1 for a in answers if a.status != 200),
                        "transport_errors": len(traffic.errors)}
    quiet = latencies_ms(answers, quiet_start, quiet_end)
    busy = latencies_ms(answers, job_start, job_end)
    figures["latency_ms"] = {
        "without_training": {"requests": len(quiet), "p50": round(percentile(quiet, 0.5), 1),
                             "p99": round(percentile(quiet, 0.99), 1)},
        "with_training": {"requests": len(busy), "p50": round(percentile(busy, 0.5), 1),
                          "p99": round(percentile(busy, 0.99), 1)}}
    (api.home / "ray-cluster-figures.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))

    for service in ALL_SERVICES:  # every replica, within the poll interval plus a load
        assert len(pick_up[service]) == REPLICAS.get(service, 1), (service, pick_up)
        assert max(pick_up[service].values()) <= PICK_UP_LIMIT_SECONDS, (service, pick_up)
    assert traffic.errors == []
    assert figures["replica_kill"]["failed"] == 0  # type: ignore[index]
    # Ray Serve does not repeat a request its replica died with; the ingress does.
    assert slow["answer"].status_code == 200, slow["answer"].text
    assert figures["replica_kill"]["resent_by_the_ingress"] >= 1  # type: ignore[index]
    assert figures["total"]["failed"] == 0  # type: ignore[index]
    assert job["state"] == "succeeded", (job["state"], job.get("error"))
    assert job["seen"], "the training job never held the second node's `training` resource"
    assert len(busy) > 0
    assert len(quiet) > 0


def resent(api: RunningApi) -> float:
    """Requests the ingress sent again because their replica died (its metric)."""
    metrics = httpx.get(f"{api.url}/metrics", headers=api.headers, timeout=30).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("modelworks_ray_resent_requests_total"))


def replica_memory(api: RunningApi) -> dict[str, dict[str, float]]:
    """RSS and PSS (MB) of every replica, from the kernel's ``smaps_rollup``."""
    found: dict[str, dict[str, float]] = {}
    for service in ALL_SERVICES:
        for number, pid in enumerate(replicas(api, service)):
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
            found[f"{service}-{number}"] = {"rss": round(fields["Rss"]),
                                            "pss": round(fields["Pss"])}
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def kill_one_replica(api: RunningApi, slow_csv: bytes, slow: dict[str, httpx.Response]
                     ) -> tuple[float, float, float]:
    """SIGKILL the replica of ``KILLED`` busy with a slow prediction (a thread sends it into
    ``slow``); when, the end of the window, when the replacement was serving."""
    before = [int(pid) for pid in wait_for_replicas(api, KILLED, 2)]
    sender = threading.Thread(target=lambda: slow.update(answer=httpx.post(
        f"{api.url}/genres/predict", headers=api.headers, timeout=300,
        files={"file": ("slow.csv", slow_csv, "text/csv")})))
    sender.start()
    start = {pid: cpu_ticks(pid) for pid in before}
    time.sleep(0.5)
    # The replica working on the slow request is the one using the most CPU.
    victim = max(before, key=lambda pid: cpu_ticks(pid) - start[pid])
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    sender.join(timeout=300)
    deadline = killed_at + 120
    restarted = None
    while time.monotonic() < deadline:
        found = replicas(api, KILLED)
        if len(found) == 2 and str(victim) not in found:
            restarted = time.monotonic()
            break
        time.sleep(0.2)
    assert restarted is not None, "Ray Serve did not replace the killed replica in 120 s"
    time.sleep(3)  # answers from the replacement too
    return killed_at, time.monotonic(), restarted


def train_on_the_second_node(api: RunningApi, cluster: Cluster, data: bytes
                             ) -> tuple[float, float, dict[str, object]]:
    """A genres job on an upload, not registered; its start, end and final record."""
    started = time.monotonic()
    answer = httpx.post(f"{api.url}/models/genres/train", headers=api.headers, timeout=60,
                        files={"file": ("train.csv", data, "text/csv")},
                        data={"register": "false"})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    seen = False
    deadline = started + 300
    record: dict[str, object] = {}
    while time.monotonic() < deadline:
        record = httpx.get(f"{api.url}/jobs/{job_id}", headers=api.headers, timeout=30).json()
        if record["state"] in ("succeeded", "failed", "cancelled"):
            break
        seen = seen or (record["state"] == "running" and training_in_use(cluster))
        time.sleep(0.5)
    return started, time.monotonic(), {**record, "seen": seen}
