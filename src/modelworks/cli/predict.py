"""``modelworks predict``: a file of inputs through a service, one JSON line out per input.

Against a server (``--api-url``) the rows go over HTTP with the typed client. Without one,
this process serves the app a server would run, for that one service, on a private Unix
socket, and the same client talks to it: a local answer is exactly the server's, and is
logged in this home's database as a server would log it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import MofNCompleteColumn, Progress

from modelworks.cli.batch import Batcher, Row, RowError, batcher_for, is_row_error
from modelworks.cli.common import (
    ApiKey,
    api,
    console,
    fail,
    known_service,
    progress_columns,
)
from modelworks.client import ApiError
from modelworks.core.settings import AuthMode, Settings

if TYPE_CHECKING:
    from modelworks.client import Client

JSON_LINES = (".jsonl", ".ndjson", ".json")


def predict(
    service: Annotated[str, typer.Argument(help="Service name, e.g. movies")],
    input_file: Annotated[Path, typer.Option(
        "--input", "-i", help="CSV with a header, or JSON lines (one object per line); - reads "
                              "stdin", allow_dash=True)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where the JSON lines go (default: stdout)", dir_okay=False)]
    = None,
    api_url: Annotated[str | None, typer.Option(
        help="A server to predict on (default: the live model of this home, in this "
             "process)")] = None,
    api_key: ApiKey = None,
    concurrency: Annotated[int, typer.Option(
        min=1, max=64, help="Requests in flight at once (with --api-url)")] = 4,
) -> None:
    """Predict every row of a file with the live model, here or on a server.

    One JSON line per input row, in order. A row the service refuses gets
    {"row": N, "error": ...}, the others go on, and the exit status is 1.

    What a row holds: interests: user_handle[, top_k, min_probability];
    movies: age, gender, occupation[, max_recs]; genres: movie_id,
    synopsis[, year]; resumes: text; similarity: query,
    product_descriptions[, top_k, min_score] (a list in CSV: a JSON array,
    or texts separated by |).
    """
    known_service(service)
    rows = _read_rows(input_file)
    with ExitStack() as stack:
        if api_url is None:
            client = stack.enter_context(_local_client(service))
            concurrency = 1  # one app in this process: more threads would only queue
        else:
            client = stack.enter_context(api(api_url, api_key))
        try:
            batcher = batcher_for(service, client)
        except (RowError, ApiError) as exc:
            raise fail(exc.message) from exc
        sink = stack.enter_context(_sink(output))
        failed = _run(client, batcher, rows, sink, concurrency)
    where = f" ({output})" if output else ""
    console.print(f"{service}: {len(rows) - failed:,} of {len(rows):,} rows predicted{where}"
                  + (f"; {failed:,} refused (their lines hold the error)" if failed else ""))
    if failed:
        raise typer.Exit(1)


def _read_rows(path: Path) -> list[Row]:
    """Every row of a CSV or JSON-lines file (which one: by suffix, else by the first byte)."""
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}", 2) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"{path} is not UTF-8 text", 2) from exc
    suffix = path.suffix.lower() if str(path) != "-" else ""
    if suffix in (*JSON_LINES, ".csv"):
        as_json = suffix in JSON_LINES
    else:  # stdin, or a name that does not say: JSON lines start with an object
        as_json = text.lstrip().startswith("{")
    rows: list[Row] = (_json_lines(path, text) if as_json
                       else list(csv.DictReader(io.StringIO(text))))
    if not rows:
        raise fail(f"{path} holds no rows", 2)
    return rows


def _json_lines(path: Path, text: str) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise fail(f"line {number} of {path} is not valid JSON: {exc}", 2) from exc
        if not isinstance(row, dict):
            raise fail(f"line {number} of {path} is not a JSON object", 2)
        rows.append(row)
    return rows


@contextmanager
def _local_client(service: str) -> Iterator[Client]:
    """A client of the app a server would run for ``service``, served from this process.

    The app listens on a Unix socket in a private folder (owner-only), not on a port: with
    auth off for this one caller, nobody else can reach it.
    """
    import logging
    import tempfile
    import threading

    import httpx
    import uvicorn

    from modelworks.core.errors import ModelworksError
    from modelworks.core.registry import Registry
    from modelworks.server.app import create_app

    settings = Settings().model_copy(update={"services": [service], "auth": AuthMode.OFF})
    registry = Registry.from_settings(settings)
    if registry.live_version(service) is None:
        raise fail(f"{service} has no live model in {registry.location}; train one with "
                   f"`modelworks train {service}`, or predict on a server with --api-url")
    # The app warns that auth is off, which is meant for a server others can reach; nobody
    # else can reach this one.
    app_log = logging.getLogger("modelworks.server.app")
    level = app_log.level
    app_log.setLevel(logging.ERROR)
    try:
        app = create_app(settings)
    except ModelworksError as exc:
        raise fail(exc.message) from exc
    finally:
        app_log.setLevel(level)
    with tempfile.TemporaryDirectory(prefix="modelworks-predict-") as folder:
        socket_path = str(Path(folder) / "api.sock")
        server = uvicorn.Server(uvicorn.Config(app, uds=socket_path, log_config=None,
                                               lifespan="on"))
        thread = threading.Thread(target=server.run, name="local-api", daemon=True)
        thread.start()
        while not server.started:  # the app's start-up: database, the live model's load
            if not thread.is_alive():
                raise fail(f"{service}'s app did not start (see the log above)")
            thread.join(0.05)
        # The app stops a request at its own limit; this one only guards against a hang.
        http = httpx.Client(transport=httpx.HTTPTransport(uds=socket_path),
                            timeout=settings.request_timeout_seconds + 30)
        from modelworks.client import Client

        try:
            with Client("http://local", http=http) as client:
                ready = client.ready()
                if not ready.ready:
                    raise fail(f"{service}'s live model did not load: "
                               f"{ready.services.get(service)}")
                yield client
        finally:
            http.close()
            server.should_exit = True
            thread.join()


@contextmanager
def _sink(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        handle = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}", 2) from exc
    with handle:
        yield handle


def _run(client: Client, batcher: Batcher, rows: list[Row], sink: IO[str],
         concurrency: int) -> int:
    """Predict every row in order, writing a line each; how many rows were refused."""
    chunks = [(start, rows[start:start + batcher.size])
              for start in range(0, len(rows), batcher.size)]
    refused = 0
    with Progress(*progress_columns(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("predicting", total=len(rows))
        pool = ThreadPoolExecutor(concurrency)
        try:
            # map keeps the input order while `concurrency` requests are in flight.
            for answers in pool.map(lambda chunk: _answer(client, batcher, *chunk), chunks):
                for answered, line in answers:
                    refused += not answered
                    sink.write(json.dumps(line, default=str) + "\n")
                bar.advance(task, len(answers))
        finally:
            # After a failure that stops the run, the chunks not yet sent are not sent.
            pool.shutdown(wait=True, cancel_futures=True)
    return refused


def _answer(client: Client, batcher: Batcher, start: int, chunk: list[Row]
            ) -> list[tuple[bool, dict[str, Any]]]:
    """Each row's (answered, line).

    A refused chunk is tried row by row, so only bad rows fail; an error that is not the
    row's (unreachable, no access) stops the run.
    """
    try:
        return [(True, line) for line in batcher.run(client, chunk)]
    except RowError as exc:
        problem = exc.message
    except ApiError as exc:
        if not is_row_error(exc):
            raise fail(exc.message) from exc
        problem = exc.message
    if len(chunk) > 1:
        return [answer for offset, row in enumerate(chunk)
                for answer in _answer(client, batcher, start + offset, [row])]
    return [(False, {"row": start + 1, "error": problem})]
