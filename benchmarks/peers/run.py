"""modelworks beside its peers: the same model object, the same requests, one run.

Every contender serves the live version in one ``MODELWORKS_HOME``. Per round, in an order that
rotates, each contender is started fresh with its server pinned to core 0 (``taskset``), its
cold start to the first 200 is timed, then this process (pinned to core 1) loads it at each
concurrency with kept-alive connections and raw HTTP/1.1 (``benchmarks/load.py``) in
one-second slices (the median slice counts), and the server's proportional memory (PSS,
whole process tree) is read. Medians over the rounds, and
each contender's ratio to modelworks, go into ``docs/performance.md``.

    python -m benchmarks.peers.run [--rounds 3] [--seconds 5] [--scenarios resumes-real,...]
                                   [--contenders "modelworks;plain FastAPI"]

modelworks runs as deployed (auth on with a key, metrics, the prediction log and the resume
history); the peers run as their documentation shows, with nothing around the model call.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.load import run_load
from benchmarks.memory import tree_pss_mb

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "datasets"
MAIN_PYTHON = REPO / ".venv" / "bin" / "python"
PEERS_BIN = REPO / ".venv-peers" / "bin"
DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
CONCURRENCY = (1, 8, 32)
BATCHED_SERVICES = ("resumes", "similarity", "genres", "movies")
SHORT_RESUME = "Java developer: Spring Boot, Hibernate, REST services, Maven and JUnit."


@dataclass(frozen=True)
class Request:
    """One request of a scenario: its path and, for a POST, its body (JSON, or bytes as is)."""

    path: str
    body: object | None = None

    def encoded(self) -> bytes | None:
        """The body as sent."""
        if self.body is None or isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Scenario:
    """What is asked of every contender, and which service answers."""

    name: str
    title: str
    service: str
    requests: Callable[[Path], list[Request]]
    content_type: str = "application/json"


@dataclass(frozen=True)
class Contender:
    """How one server is started, and how it wants each request shaped."""

    name: str
    command: Callable[[int, str], list[str]]
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    shape: Callable[[Request], Request] = lambda request: request
    keyed: bool = False


def real_resumes(_home: Path) -> list[Request]:
    folder = SHARED / "resume-classifier" / "samples"
    texts = [path.read_text(encoding="utf-8", errors="replace")
             for path in sorted(folder.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"no sample resumes in {folder}: ../shared must be beside the project")
    return [Request("/api/inference", {"text": text}) for text in texts]


def short_resume(_home: Path) -> list[Request]:
    return [Request("/api/inference", {"text": SHORT_RESUME})]


def interest_users(home: Path) -> list[Request]:
    with (home / "data" / "interests" / "users.csv").open(encoding="utf-8") as handle:
        handles = [row["id"] for _, row in zip(range(2000), csv.DictReader(handle),
                                               strict=False)]
    return [Request(f"/interests/{handle}?top_k=15") for handle in handles]


QUERY_WHAT = ("a tool", "something", "the best thing", "a cheap option", "a gift", "gear")
QUERY_DO = ("cut wood", "measure a wall", "drive screws", "hang a picture", "store my bits",
            "fix a chair", "build a shelf", "loosen a bolt", "mark a line", "sand a table")
QUERY_HOW = ("", " quickly", " at home", " precisely", " for a beginner", " outdoors",
             " without power", " in a small flat")


def product_queries(_home: Path) -> list[Request]:
    """Distinct queries (each embedded once: the cache cannot answer them) over the seed's
    six product descriptions (embedded once, then cached, by every contender)."""
    seed = json.loads((SHARED / "product-similarity" / "example_product_descriptions.json")
                      .read_text(encoding="utf-8"))
    descriptions = seed["product_descriptions"]
    queries = [f"What is {what} to {do}{how}? ({number})"
               for number in range(20) for what in QUERY_WHAT for do in QUERY_DO
               for how in QUERY_HOW]
    return [Request("/predict", {"query": [query], "product_descriptions": descriptions})
            for query in queries]


BOUNDARY = "modelworks-bench-boundary"
GENRES_ROWS = 10


def synopsis_uploads(_home: Path) -> list[Request]:
    """CSV uploads of ten real synopses each (movie_id,synopsis,year), as multipart forms."""
    path = SHARED / "radix" / "surrogates" / "daniele21-Genre_Detection" / "test.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [row for _, row in zip(range(2000), csv.DictReader(handle), strict=False)]
    requests = []
    for start in range(0, len(rows), GENRES_ROWS):
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["movie_id", "synopsis", "year"])
        writer.writerows([row["movie_id"], row["synopsis"], row["year"]]
                         for row in rows[start:start + GENRES_ROWS])
        body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"movies.csv\"\r\nContent-Type: text/csv\r\n\r\n{text.getvalue()}"
                f"\r\n--{BOUNDARY}--\r\n").encode()
        requests.append(Request("/genres/predict", body))
    return requests


SCENARIOS = {
    "resumes-real": Scenario("resumes-real", "resumes `/api/inference`, 14 real resumes",
                             "resumes", real_resumes),
    "resumes-short": Scenario("resumes-short", "resumes, one short text", "resumes",
                              short_resume),
    "interests": Scenario("interests", "interests `GET`, top_k=15", "interests",
                          interest_users),
    "similarity": Scenario("similarity", "similarity `/predict`, a new query over 6 products",
                           "similarity", product_queries),
    "genres": Scenario("genres", f"genres `/genres/predict`, CSV of {GENRES_ROWS} real synopses",
                       "genres", synopsis_uploads,
                       content_type=f"multipart/form-data; boundary={BOUNDARY}"),
}


def posted_lookup(request: Request) -> Request:
    """LitServe and BentoML take a JSON POST: the interests lookup's handle goes in the body."""
    if request.body is not None:
        return request
    handle = request.path.split("/")[2].split("?")[0]
    return Request("/interests", {"user_handle": handle, "top_k": 15})


def batched_body(request: Request) -> Request:
    """BentoML's batchable API takes a list per request: the same input, as a list of one."""
    assert isinstance(request.body, dict)
    if request.path == "/predict":
        return Request(request.path, {"bodies": [request.body]})
    return Request(request.path, {"texts": [request.body["text"]]})


def _peer(module: str) -> Callable[[int, str], list[str]]:
    return lambda port, service: [str(PEERS_BIN / "python"), "-m", module, "--port", str(port)]


CONTENDERS = [
    Contender("modelworks", lambda port, service: [
        str(MAIN_PYTHON), "-m", "modelworks", "serve", "--services", service, "--port",
        str(port)], "/readyz", keyed=True),
    Contender("modelworks, no batching", lambda port, service: [
        str(MAIN_PYTHON), "-m", "modelworks", "serve", "--services", service, "--port",
        str(port)], "/readyz", keyed=True,
              env={"MODELWORKS_BATCH_SIZES": json.dumps(dict.fromkeys(BATCHED_SERVICES, 0))}),
    Contender("plain FastAPI", lambda port, service: [
        str(PEERS_BIN / "python"), "-m", "uvicorn", "benchmarks.peers.fastapi_app:app",
        "--port", str(port)], "/healthz"),
    Contender("Flask + gunicorn", lambda port, service: [
        str(PEERS_BIN / "python"), "-m", "gunicorn", "--worker-class", "gthread",
        "--threads", "4", "--workers", "1", "--bind", f"127.0.0.1:{port}",
        "benchmarks.peers.flask_app:app"], "/healthz"),
    Contender("LitServe", _peer("benchmarks.peers.litserve_app"), "/health",
              shape=posted_lookup),
    Contender("LitServe, batch 16", _peer("benchmarks.peers.litserve_app"), "/health",
              env={"PEER_BATCH": "16"}),
    Contender("BentoML", _peer("benchmarks.peers.bentoml_app"), "/readyz", shape=posted_lookup),
    Contender("BentoML, batch 16", _peer("benchmarks.peers.bentoml_app"), "/readyz",
              env={"PEER_BATCH": "16"}, shape=batched_body),
]
BATCHING = {"modelworks, no batching", "LitServe, batch 16", "BentoML, batch 16"}
"""Contenders only scenarios of a batching service measure: batching on or off changes nothing
for a lookup."""
NOT_APPLICABLE = {("genres", "BentoML, batch 16")}
"""BentoML batches only list, array and frame inputs, not an uploaded file."""


def measured_in(scenario: Scenario, contender: Contender) -> bool:
    """Whether ``contender`` takes part in ``scenario``."""
    if contender.name in BATCHING and scenario.service not in BATCHED_SERVICES:
        return False
    return (scenario.name, contender.name) not in NOT_APPLICABLE


@dataclass
class Measured:
    """One contender's figures in one round."""

    rates: dict[int, float]
    p99_ms: dict[int, float]
    errors: int
    cold_start_s: float
    pss_mb: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(contender: Contender, scenario: Scenario, home: Path, seconds: float) -> Measured:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELWORKS_", "PEER_"))}
    env.update(MODELWORKS_HOME=str(home), MODELWORKS_LOG_LEVEL="WARNING",
               PEER_SERVICE=scenario.service, PYTHONPATH=str(REPO), **contender.env)
    started = time.perf_counter()
    server = subprocess.Popen(["taskset", "-c", "0", *contender.command(port, scenario.service)],
                              env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        cold_start = _wait_ready(f"http://127.0.0.1:{port}{contender.ready_path}", server,
                                 started)
        headers = {}
        if contender.keyed:
            headers["X-API-Key"] = (home / "admin.key").read_text().strip()
        shaped = [contender.shape(request) for request in scenario.requests(home)]
        paths = [request.path for request in shaped]
        encoded = [request.encoded() for request in shaped]
        bodies = [body for body in encoded if body is not None] or None
        warm = run_load("127.0.0.1", port, paths, connections=8, seconds=2, headers=headers,
                        bodies=bodies, content_type=scenario.content_type)
        paths, bodies = _rotated(paths, bodies, warm.requests + warm.errors)
        rates, p99, errors = {}, {}, 0
        slices = max(1, round(seconds))
        for connections in CONCURRENCY:
            # One-second slices, and their median: a slice in which the hypervisor took the
            # core (a plain CPU loop here varies by a quarter from one second to the next)
            # does not drag the whole figure down.
            results = []
            for _ in range(slices):
                result = run_load("127.0.0.1", port, paths, connections=connections,
                                  seconds=seconds / slices, headers=headers, bodies=bodies,
                                  content_type=scenario.content_type)
                results.append(result)
                # The next slice goes on where this one stopped: a query sent again would
                # be answered from a cache.
                paths, bodies = _rotated(paths, bodies, result.requests + result.errors)
            rates[connections] = statistics.median(result.rate for result in results)
            p99[connections] = statistics.median(result.percentile(0.99)
                                                 for result in results)
            errors += sum(result.errors for result in results)
        pss = sum(tree_pss_mb(server.pid).values())
        return Measured(rates, p99, errors, cold_start, pss)
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        _wait_gone(server.pid)


def _rotated(paths: list[str], bodies: list[bytes] | None, sent: int
             ) -> tuple[list[str], list[bytes] | None]:
    """The requests starting after the first ``sent`` of them, in a cycle."""
    start = sent % len(paths)
    return (paths[start:] + paths[:start],
            None if bodies is None else bodies[start:] + bodies[:start])


def _wait_gone(group: int, seconds: float = 30) -> None:
    """Wait until every process of ``group`` has ended (a peer's workers outlive its parent
    for a moment, on the core the next contender is measured on)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, 9)


def _wait_ready(url: str, server: subprocess.Popen[bytes], started: float) -> float:
    deadline = started + 180
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{server.args} exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} not ready in 180 s")


def prepare_home(home: Path, services: set[str]) -> None:
    """Default data and a live model of each service, trained once; keys made by a first start."""
    main = [str(MAIN_PYTHON), "-m", "modelworks"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}
    env["MODELWORKS_HOME"] = str(home)
    for service in sorted(services):
        subprocess.run([*main, "data", "prepare", service], env=env, check=True,
                       capture_output=True)
        subprocess.run([*main, "train", service, "--if-missing"], env=env, check=True,
                       capture_output=True)


def table(results: dict[str, dict[str, list[Measured]]], rounds: int, seconds: float) -> str:
    lines = [f"One run of `make bench-peers` ({rounds} rounds, {seconds:g} s per concurrency, "
             f"{time.strftime('%Y-%m-%d')}): requests/s at c1 / c8 / c32, the median one-second "
             "slice of each round, then the median of the rounds; in brackets "
             "each contender's ratio to modelworks. Server pinned to core 0, load generator to "
             "core 1.", ""]
    names = [c.name for c in CONTENDERS]
    lines.append("| scenario | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for scenario, by_contender in results.items():
        ours = {c: statistics.median(m.rates[c] for m in by_contender["modelworks"])
                for c in CONCURRENCY}
        cells = []
        for name in names:
            runs = by_contender.get(name)
            if not runs:
                cells.append("—")
                continue
            rates = [statistics.median(m.rates[c] for m in runs) for c in CONCURRENCY]
            text = " / ".join(f"{rate:,.0f}" for rate in rates)
            if name != "modelworks":
                text += " (" + " / ".join(f"{rate / ours[c]:.2f}" for rate, c
                                          in zip(rates, CONCURRENCY, strict=True)) + ")"
            cells.append(text)
        lines.append(f"| {SCENARIOS[scenario].title} | " + " | ".join(cells) + " |")
    lines += ["", "| contender | cold start to first 200 (s) | PSS after load (MB) | "
              "p99 at c32 (ms), per scenario | errors |", "|---|---|---|---|---|"]
    for name in names:
        runs = [m for by in results.values() for m in by.get(name, [])]
        if not runs:
            continue
        p99 = " / ".join(f"{statistics.median(m.p99_ms[32] for m in by[name]):.0f}"
                         for by in results.values() if name in by)
        lines.append(f"| {name} | {statistics.median(m.cold_start_s for m in runs):.2f} | "
                     f"{statistics.median(m.pss_mb for m in runs):.0f} | {p99} | "
                     f"{sum(m.errors for m in runs)} |")
    return "\n".join(lines)


def write_doc(text: str, begin: str = BEGIN, end_marker: str = END) -> None:
    """Put ``text`` between the two markers of ``docs/performance.md``."""
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.index(begin) + len(begin), doc.index(end_marker)
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--contenders", default="", help="names separated by ';'")
    parser.add_argument("--home", type=Path, default=REPO / ".modelworks-peers")
    parser.add_argument("--no-doc", action="store_true", help="print the table only")
    args = parser.parse_args()
    scenarios = [SCENARIOS[name] for name in args.scenarios.split(",")]
    contenders = [c for c in CONTENDERS
                  if not args.contenders or c.name in args.contenders.split(";")]
    if not (PEERS_BIN / "python").exists():
        raise SystemExit("the peers' environment is missing: run `make bench-peers`")
    prepare_home(args.home, {s.service for s in scenarios})
    os.sched_setaffinity(0, {1})
    results: dict[str, dict[str, list[Measured]]] = {s.name: {} for s in scenarios}
    for number in range(args.rounds):
        for scenario in scenarios:
            eligible = [c for c in contenders if measured_in(scenario, c)]
            shift = number % len(eligible)
            for contender in eligible[shift:] + eligible[:shift]:
                measured = measure(contender, scenario, args.home, args.seconds)
                results[scenario.name].setdefault(contender.name, []).append(measured)
                print(f"round {number + 1} {scenario.name:14} {contender.name:20} "
                      + " / ".join(f"{measured.rates[c]:,.0f}" for c in CONCURRENCY)
                      + f" req/s, cold {measured.cold_start_s:.2f} s, "
                        f"{measured.pss_mb:.0f} MB, errors {measured.errors}", flush=True)
    text = table(results, args.rounds, args.seconds)
    print(text)
    if not args.no_doc:
        write_doc(text)


if __name__ == "__main__":
    sys.exit(main())
