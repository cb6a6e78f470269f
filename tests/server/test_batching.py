"""Adaptive batching: requests that arrive while the model is busy share its next run."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from modelworks.core.budget import Budget, check_budget, current_budget
from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.live import Loaded
from modelworks.sdk.access import Requirement, Scope
from modelworks.sdk.endpoints import Answer, Batch, Endpoint, JsonBody, Received
from modelworks.server.app import create_app
from modelworks.server.endpoints import Batcher, mount
from modelworks.server.placement import Placement
from tests.conftest import copy_registry, make_settings, uvicorn_thread

MODEL = Loaded(1, "model v1")


class Recorder:
    """A model that doubles numbers, takes a while, and remembers each run's size."""

    def __init__(self, seconds: float = 0.02, bad: int | None = None) -> None:
        self.seconds = seconds
        self.bad = bad
        self.runs: list[list[int]] = []
        self.models: list[str] = []
        self.lock = threading.Lock()

    def run(self, loaded: Loaded[Any], requests: list[Received[int]]) -> list[int]:
        values = [received.body for received in requests]
        with self.lock:
            self.runs.append(values)
            self.models.append(loaded.model)
        time.sleep(self.seconds)
        if self.bad in values:
            raise ValueError(f"cannot take {self.bad}")
        return [value * 2 for value in values]


def batcher(recorder: Recorder, max_size: int = 32) -> Batcher:
    return Batcher(Batch(run=recorder.run, finish=lambda *_: None, max_size=max_size), max_size,
                   Placement(inline_seconds=0.0))


def test_a_lone_request_runs_at_once_in_a_batch_of_one() -> None:
    recorder = Recorder(seconds=0)

    async def one() -> int:
        return int(await batcher(recorder).submit(MODEL, Received(21)))

    assert asyncio.run(one()) == 42
    assert recorder.runs == [[21]]


def test_requests_arriving_while_the_model_runs_share_the_next_run() -> None:
    recorder = Recorder()

    async def burst() -> list[int]:
        shared = batcher(recorder)
        first = asyncio.ensure_future(shared.submit(MODEL, Received(0)))
        await asyncio.sleep(0.005)  # the first run has started
        rest = [shared.submit(MODEL, Received(n)) for n in range(1, 21)]
        return [int(v) for v in await asyncio.gather(first, *rest)]

    assert asyncio.run(burst()) == [2 * n for n in range(21)]
    assert recorder.runs == [[0], list(range(1, 21))]


def test_a_batch_never_passes_its_size() -> None:
    recorder = Recorder()

    async def burst() -> list[Any]:
        shared = batcher(recorder, max_size=8)
        first = asyncio.ensure_future(shared.submit(MODEL, Received(0)))
        await asyncio.sleep(0.005)
        return list(await asyncio.gather(first, *(shared.submit(MODEL, Received(n))
                                                  for n in range(1, 21))))

    asyncio.run(burst())
    assert [len(run) for run in recorder.runs] == [1, 8, 8, 4]


def test_only_the_request_at_fault_gets_the_error() -> None:
    recorder = Recorder(bad=7)

    async def burst() -> list[Any]:
        shared = batcher(recorder)
        first = asyncio.ensure_future(shared.submit(MODEL, Received(0)))
        await asyncio.sleep(0.005)
        return list(await asyncio.gather(first, *(shared.submit(MODEL, Received(n))
                                                  for n in range(1, 11)),
                                         return_exceptions=True))

    outcomes = asyncio.run(burst())
    assert isinstance(outcomes[7], ValueError)
    assert [o for i, o in enumerate(outcomes) if i != 7] == [2 * n for n in range(11) if n != 7]


def test_requests_that_took_different_model_versions_never_share_a_run() -> None:
    recorder = Recorder()
    newer = Loaded(2, "model v2")

    async def burst() -> list[Any]:
        shared = batcher(recorder)
        first = asyncio.ensure_future(shared.submit(MODEL, Received(0)))
        await asyncio.sleep(0.005)
        return list(await asyncio.gather(first, *(
            shared.submit(MODEL if n % 2 else newer, Received(n)) for n in range(1, 7))))

    asyncio.run(burst())
    assert recorder.models == ["model v1", "model v1", "model v2"]
    assert recorder.runs == [[0], [1, 3, 5], [2, 4, 6]]


def test_a_client_that_leaves_does_not_break_the_others() -> None:
    recorder = Recorder()

    async def burst() -> list[int]:
        shared = batcher(recorder)
        first = asyncio.ensure_future(shared.submit(MODEL, Received(0)))
        await asyncio.sleep(0.005)
        leaving = asyncio.ensure_future(shared.submit(MODEL, Received(1)))
        staying = asyncio.ensure_future(shared.submit(MODEL, Received(2)))
        await asyncio.sleep(0)
        leaving.cancel()
        return [int(await first), int(await staying)]

    assert asyncio.run(burst()) == [0, 4]


@pytest.mark.parametrize("sizes", [{}, {"resumes": 0}])
def test_resumes_answers_and_stores_every_concurrent_request_batched_or_not(
        tmp_path: Path, minilm_assets: MiniLMAssets, resumes_registry: Path,
        sizes: dict[str, int]) -> None:
    home = tmp_path / "home"
    copy_registry(resumes_registry, home)
    settings = make_settings(home, minilm_assets, services=["resumes"], batch_sizes=sizes)
    texts = [f"Senior Java developer number {n}: Spring Boot, Hibernate, Maven and JUnit."
             if n % 2 else f"Oracle DBA number {n}: RMAN, Data Guard, RAC and AWR tuning."
             for n in range(40)]

    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            return list(await asyncio.gather(*(
                client.post("/api/inference", params={"detail": "true"}, json={"text": text})
                for text in texts)))

    with uvicorn_thread(create_app(settings)) as url:  # type: ignore[arg-type]
        answers = asyncio.run(burst(url))
        stored = httpx.get(f"{url}/api/predictions", params={"limit": 100}).json()
    assert [a.status_code for a in answers] == [200] * len(texts)
    categories = [a.json()["category"] for a in answers]
    assert categories == ["Java Developer" if n % 2 else "Oracle DBA" for n in range(40)]
    assert stored["total"] == len(texts)
    by_id = {item["prediction_id"]: item for item in stored["items"]}
    for answer in answers:
        assert by_id[answer.json()["prediction_id"]]["category"] == answer.json()["category"]


def test_a_batch_does_not_run_under_the_first_request_s_budget() -> None:
    def run(loaded: Loaded[Any], requests: list[Received[int]]) -> list[int]:
        check_budget()  # raises if the batch ran under the gone client's budget
        return [received.body for received in requests]

    async def first_client_gone() -> int:
        gone = Budget(30)
        gone.stop()
        current_budget.set(gone)
        shared = Batcher(Batch(run=run, finish=lambda *_: None), 32, Placement(1.0))
        return int(await shared.submit(MODEL, Received(5)))

    assert asyncio.run(first_client_gone()) == 5


def _movies_request(n: int) -> dict[str, Any]:
    return {"url": "/api/recommend", "json": {
        "age": 18 + n, "gender": "MF"[n % 2],
        "occupation": ("student", "engineer", "artist", "doctor")[n % 4], "max_recs": 3 + n % 5}}


def _similarity_request(n: int) -> dict[str, Any]:
    return {"url": "/predict", "json": {
        "query": [f"something to {('cut wood', 'measure', 'store tools')[n % 3]} ({n})"],
        "product_descriptions": ["A circular saw with a laser guide.",
                                 "A 25 ft tape measure with a belt clip.",
                                 f"A toolbox organiser with {n} compartments."],
        "top_k": 1 + n % 3}}


def _genres_request(n: int) -> dict[str, Any]:
    synopses = ["A lone cowboy rides into a frontier town to face the outlaw gang.",
                "A crew of astronauts finds an alien signal on a derelict spaceship.",
                "A family moves into a haunted house where a ghost stalks the children."]
    rows = "".join(f'{n}{i},"{synopses[(n + i) % 3]}",{1950 + n}\n' for i in range(1 + n % 3))
    return {"url": "/genres/predict", "params": {"include_scores": "true"},
            "files": {"file": ("movies.csv", f"movie_id,synopsis,year\n{rows}")}}


@pytest.mark.parametrize(("service", "request_of"), [
    ("movies", _movies_request), ("similarity", _similarity_request),
    ("genres", _genres_request)])
def test_a_batched_answer_is_the_answer_given_alone(
        tmp_path: Path, minilm_assets: MiniLMAssets, all_services_home: Path, service: str,
        request_of: Any) -> None:
    settings = make_settings(all_services_home, minilm_assets, services=[service])
    requests = [request_of(n) for n in range(24)]

    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return list(await asyncio.gather(*(client.post(**r) for r in requests)))

    with uvicorn_thread(create_app(settings)) as url:  # type: ignore[arg-type]
        together = asyncio.run(burst(url))
        with httpx.Client(base_url=url, timeout=60) as client:
            alone = [client.post(**r) for r in requests]
        batched = httpx.get(f"{url}/metrics").text
    assert [r.status_code for r in together] == [200] * len(requests)
    drop = {"id"}  # movies: each answer has a recommendation id of its own
    assert ([_without(r.json(), drop) for r in together]
            == [_without(r.json(), drop) for r in alone])
    assert f'modelworks_batch_size_count{{service="{service}"}}' in batched


def _without(body: Any, keys: set[str]) -> Any:
    return {k: v for k, v in body.items() if k not in keys} if isinstance(body, dict) else body


class _OneVersion:
    """The live model of the test endpoint: always version 1."""

    def current(self) -> Loaded[str]:
        return MODEL


class _NoLog:
    """A prediction sink that keeps nothing (the endpoint's answers are what is checked)."""

    def record(self, **_: Any) -> None:
        return None

    def count(self, service: str, items: int) -> None:
        return None


class _Number(BaseModel):
    value: int


def _doubling_app(recorder: Recorder) -> FastAPI:
    """One batching endpoint, ``POST /double``, whose model call runs on the event loop."""

    def run(loaded: Loaded[Any], requests: list[Received[_Number]]) -> list[int]:
        return recorder.run(loaded, [Received(received.body.value) for received in requests])

    def finish(_: Loaded[Any], received: Received[_Number], result: int) -> Answer:
        return Answer(result, inputs=[received.body.value], outputs=[result])

    def predict(loaded: Loaded[Any], received: Received[_Number]) -> Answer:
        return finish(loaded, received, run(loaded, [received])[0])

    endpoint = Endpoint("POST", "/double", summary="Twice the number",
                        request=JsonBody(_Number), response=int, predict=predict,
                        access=Requirement(Scope.PREDICT), examples=(), cpu_bound=True,
                        batch=Batch(run=run, finish=finish, max_size=32))
    app = FastAPI()

    async def admit(request: Request, requirement: Requirement) -> None:
        return None

    app.state.authorize = admit
    mount(app.router, endpoint, service="numbers", live=_OneVersion(),  # type: ignore[arg-type]
          sink=_NoLog(), max_upload_bytes=1 << 20, inline_seconds=1.0)
    return app


SEND_TOGETHER = """
import http.client, json, sys
host, port, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
connections = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(count)]
for connection in connections:
    connection.connect()
for number, connection in enumerate(connections, start=first):
    connection.request("POST", "/double", body=json.dumps({"value": number}),
                       headers={"Content-Type": "application/json"})
print(json.dumps([int(connection.getresponse().read()) for connection in connections]))
"""


def _sent_together(url: str, first: int, count: int) -> list[int]:
    """Send ``count`` requests, each on a connection of its own, before reading any answer.

    From another process: a client thread in this one would take turns with the server's
    thread for the interpreter lock, and the requests would trickle in one by one.
    """
    host, port = url.removeprefix("http://").split(":")
    sent = subprocess.run([sys.executable, "-c", SEND_TOGETHER, host, port, str(first),
                           str(count)], capture_output=True, text=True, timeout=60, check=True)
    return [int(answer) for answer in json.loads(sent.stdout)]


def test_requests_that_arrive_together_share_a_run_on_the_event_loop() -> None:
    # 5 ms is under the inline limit (1 s): once timed, every call runs on the event loop,
    # which reads nothing while the model runs; what arrived meanwhile must still batch.
    recorder = Recorder(seconds=0.005)
    with uvicorn_thread(_doubling_app(recorder)) as url:
        lone = httpx.post(f"{url}/double", json={"value": 7}).json()
        timed = len(recorder.runs)
        answers = [_sent_together(url, b * 100, 24) for b in range(3)]
    assert lone == 14
    assert recorder.runs[0] == [7]  # alone: at once, in a run of its own
    assert answers == [[2 * n for n in range(b * 100, b * 100 + 24)] for b in range(3)]
    sizes = [len(run) for run in recorder.runs[timed:]]
    assert max(sizes) >= 8, sizes
