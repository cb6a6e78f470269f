"""What every command group shares: the error line, service names, JSON, progress, the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from modelworks.client import ApiError
from modelworks.core.plugins import installed_service_names, unknown_service
from modelworks.core.settings import Settings

if TYPE_CHECKING:
    from modelworks.client import Client
    from modelworks.core.progress import Progress as ProgressSink
    from modelworks.core.registry import Registry

console = Console(stderr=True, soft_wrap=True)
"""Messages and progress go to stderr, so stdout carries only results (JSON, tables); a
message stays one line (a terminal wraps it for the eye, a log or a script reads it whole)."""

T = TypeVar("T")

ServiceArg = Annotated[str, typer.Argument(help="Service name, e.g. genres")]
ApiUrl = Annotated[str | None, typer.Option(
    help="The server (default MODELWORKS_API_URL, else this machine at MODELWORKS_PORT)")]
ApiKey = Annotated[str | None, typer.Option(
    help="API key to send (default MODELWORKS_API_KEY, else the admin key in MODELWORKS_HOME)",
    show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON, not a table")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr; the exit to raise (2: the command line was wrong)."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code)


def known_service(service: str, registry: Registry | None = None) -> str:
    """``service`` if it is installed (or has versions); else exit 2 naming the closest one."""
    known = sorted({*installed_service_names(), *(registry.services() if registry else [])})
    if service not in known:
        raise fail(unknown_service(service, known), 2)
    return service


def print_json(payload: Any) -> None:
    """``payload`` as indented JSON on stdout."""
    typer.echo(json.dumps(payload, indent=2, default=str))


def number(value: float) -> str:
    """A metric as read: counts (whole numbers past 1) as integers, scores to four places."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) > 1 else f"{value:.4f}"


def progress_columns() -> tuple[Any, ...]:
    """The columns of every progress bar: step, bar, percent, time."""
    return (TextColumn("{task.description:<40}"), BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn())


@contextmanager
def working_bar(step: str) -> Iterator[None]:
    """A pulsing bar and the elapsed time on stderr while a step of unknown length runs."""
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        bar.add_task(step, total=None)
        yield


@contextmanager
def progress_bar() -> Iterator[ProgressSink]:
    """A progress bar on stderr, fed with ``(step, fraction done)``."""
    with Progress(*progress_columns(), console=console) as bar:
        task = bar.add_task("starting", total=1.0)

        def report(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=fraction)

        yield report


def api(api_url: str | None, api_key: str | None) -> Client:
    """The typed client of the server at ``api_url`` with ``api_key`` (or their defaults)."""
    from modelworks.client import Client

    return Client.from_settings(Settings(), api_url=api_url, api_key=api_key)


def call(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``action(*args, **kwargs)``; an ``ApiError`` becomes its message and exit status 1."""
    try:
        return action(*args, **kwargs)
    except ApiError as exc:
        raise fail(exc.message) from exc
