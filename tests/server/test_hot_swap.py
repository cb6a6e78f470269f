"""Hot swaps under load: `serve --workers 2`, steady traffic on all five services, 20 switches.

Every switch moves the live alias of every service (through ``PUT /models/{service}/live``,
twice through ``modelworks models rollback``); the test then waits until both workers report
the new version. It checks that no request failed, that each worker picked up each switch
within 2 s, and that every answer came from a version that was live while the request ran (or
within the 2 s pickup window before it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.traffic import Answer, calls_for_every_service, steady_traffic
from modelworks.core.registry import Registry
from tests.conftest import ALL_SERVICES, SEED_USERS_FILE, free_port, register_copy

SERVICES = ALL_SERVICES
PICKUP_SECONDS = 2.0
SWITCHES = 20
ROLLBACKS = (7, 15)
CONCURRENCY = 6  # switches made with the CLI's rollback instead of the HTTP endpoint


@pytest.fixture
def home(all_services_home: Path) -> Path:
    """Every service with two versions, version 1 live."""
    registry = Registry(all_services_home / "registry")
    for service in SERVICES:
        assert register_copy(registry, service) == 2
    return all_services_home


@pytest.fixture
def server(home: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {**os.environ, "MODELWORKS_HOME": str(home), "MODELWORKS_LOG_LEVEL": "WARNING"}
    log_path = home / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "modelworks", "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            headers = _wait_for_workers(url, home, workers=2)
            yield url, headers
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def _wait_for_workers(url: str, home: Path, workers: int) -> dict[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        key_file = home / "admin.key"
        if key_file.exists():
            headers = {"X-API-Key": key_file.read_text().strip()}
            try:
                answer = httpx.get(f"{url}/models/similarity", headers=headers)
                if answer.status_code == 200 and len(answer.json()["workers"]) == workers:
                    return headers
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise AssertionError("the workers did not all start in 90 s")


def _wait_for_pickup(url: str, headers: dict[str, str], version: int) -> float:
    """The moment every worker serves ``version`` of every service."""
    started = time.monotonic()
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        while time.monotonic() - started < 10:
            states = [client.get(f"/models/{service}").json() for service in SERVICES]
            if all(len(state["workers"]) == 2 and state["last_error"] is None
                   and all(w["loaded"] == version for w in state["workers"].values())
                   for state in states):
                return time.monotonic()
            time.sleep(0.05)
    raise AssertionError(f"version {version} was not served everywhere after 10 s: {states}")


Timeline = dict[str, list[tuple[float, float, int]]]


def _switch(url: str, headers: dict[str, str], home: Path, number: int, version: int,
            timeline: Timeline) -> None:
    """Move every service to ``version``, noting when each move was under way."""
    if number in ROLLBACKS:  # the previous live version is the one we want
        started = time.monotonic()
        rollbacks = {service: subprocess.Popen(
            [sys.executable, "-m", "modelworks", "models", "rollback", service],
            env={**os.environ, "MODELWORKS_HOME": str(home)}, stdout=subprocess.DEVNULL)
            for service in SERVICES}
        for service, process in rollbacks.items():
            assert process.wait(timeout=60) == 0, service
            timeline[service].append((started, time.monotonic(), version))
        return
    for service in SERVICES:
        started = time.monotonic()
        answer = httpx.put(f"{url}/models/{service}/live", json={"version": version},
                           headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        timeline[service].append((started, time.monotonic(), version))


def _live_during(moves: list[tuple[float, float, int]], start: float, end: float) -> set[int]:
    """Versions that may have been live at some moment of [start, end].

    ``moves`` holds (call started, call returned, version) per switch, oldest first: the alias
    moved at some moment inside the call, so a version counts as live from its call's start
    until the next call's return.
    """
    live = set()
    for index, (since, _, version) in enumerate(moves):
        until = moves[index + 1][1] if index + 1 < len(moves) else float("inf")
        if since <= end and until >= start:
            live.add(version)
    return live


def test_twenty_switches_under_load_lose_no_request(server: tuple[str, dict[str, str]],
                                                     home: Path) -> None:
    url, headers = server
    handle = SEED_USERS_FILE.read_text().splitlines()[1].split(",")[0]
    timeline: Timeline = {service: [(0.0, 0.0, 1)] for service in SERVICES}
    pickups = []
    calls = calls_for_every_service(httpx.get(f"{url}/openapi.json").json(),
                                    {"user_handle": handle})
    with steady_traffic(url, headers, calls,
                        concurrency=CONCURRENCY) as traffic:
        time.sleep(1.0)
        for number in range(1, SWITCHES + 1):
            version = 2 if number % 2 else 1
            _switch(url, headers, home, number, version, timeline)
            served = _wait_for_pickup(url, headers, version)
            # From the first service's alias move (its call's return) to every worker serving
            # every service: an upper bound of each worker's pickup time.
            pickups.append(served - min(timeline[s][-1][1] for s in SERVICES))
            time.sleep(0.3)
    time.sleep(0.2)  # the last requests' metrics are written just after their answers
    metrics = httpx.get(f"{url}/metrics").text
    answers: list[Answer] = traffic.answers

    assert traffic.errors == []
    assert [a for a in answers if a.status != 200] == []
    assert max(pickups) <= PICKUP_SECONDS, pickups
    for service in SERVICES:
        mine = [a for a in answers if a.service == service]
        assert {a.version for a in mine} == {1, 2}, service
        stale = [a for a in mine
                 if a.version not in _live_during(timeline[service], a.started - PICKUP_SECONDS,
                                                   a.finished)]
        assert stale == [], (service, stale[:3])
    # Multiprocess metrics: whichever worker answers the scrape counts both workers' requests.
    samples = [s for family in text_string_to_metric_families(metrics) for s in family.samples]
    counted = sum(s.value for s in samples if s.name == "modelworks_http_requests_total"
                  and s.labels["route"] == "/api/inference" and s.labels["status"] == "200")
    answered = sum(a.service == "resumes" for a in answers)
    assert counted == answered
    versions = {s.labels["pid"] for s in samples if s.name == "modelworks_model_version"}
    assert len(versions) == 2  # one series per worker
    print(f"\n{len(answers)} answers, pickup median {sorted(pickups)[len(pickups) // 2]:.2f} s, "
          f"max {max(pickups):.2f} s")
