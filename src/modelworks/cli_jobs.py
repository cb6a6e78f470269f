"""``modelworks jobs``: start, follow, list and cancel background training jobs over HTTP.

The commands talk to a running server (``--api-url``, default ``MODELWORKS_API_URL``) with the
admin key from ``MODELWORKS_HOME``, like the dashboard, so training runs in the server's job
processes and this terminal only follows its progress.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from modelworks.client import ApiClient, ApiError
from modelworks.core.settings import Settings

jobs_app = typer.Typer(help="Background training jobs on a running server.",
                       no_args_is_help=True)
console = Console(stderr=True)
FINAL_STATES = ("succeeded", "failed", "cancelled")
POLL_SECONDS = 0.5

ApiUrl = Annotated[str | None, typer.Option(
    help="The server (default MODELWORKS_API_URL, http://127.0.0.1:8000)")]


def _client(api_url: str | None) -> ApiClient:
    client = ApiClient.from_settings(Settings())
    if api_url:
        client.base_url = api_url.rstrip("/")
    return client


def _call(action: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return action(*args, **kwargs)
    except ApiError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


def follow(client: ApiClient, job_id: str) -> dict[str, Any]:
    """Show the job's progress bar until it reaches a final state; its last record."""
    with Progress(TextColumn("{task.description:<40}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("queued", total=100)
        while True:
            job: dict[str, Any] = _call(client.get, f"/jobs/{job_id}")
            bar.update(task, completed=job["progress"],
                       description=job["step"] or job["state"])
            if job["state"] in FINAL_STATES:
                return job
            time.sleep(POLL_SECONDS)


def _finish(job: dict[str, Any]) -> None:
    typer.echo(json.dumps({key: job[key] for key in ("job_id", "state", "result", "error")},
                          indent=2))
    if job["state"] != "succeeded":
        raise typer.Exit(1)


@jobs_app.command("start")
def start(
    service: Annotated[str, typer.Argument(help="Service name, e.g. resumes")],
    data: Annotated[Path | None, typer.Option(
        help="Training data file (default: the server's prepared data)", exists=True,
        dir_okay=False)] = None,
    model: Annotated[str | None, typer.Option(help="Model kind, where a service offers several")]
    = None,
    name: Annotated[str, typer.Option(help="A label for the version")] = "",
    register: Annotated[bool, typer.Option(help="--no-register: evaluate only")] = True,
    wait: Annotated[bool, typer.Option(help="--no-wait: print the job id and return")] = True,
    api_url: ApiUrl = None,
) -> None:
    """Start a training job and follow it with a progress bar."""
    client = _client(api_url)
    form = {"name": name, "register": str(register).lower(), **({"model": model} if model else {})}
    files = {"file": (data.name, data.read_bytes())} if data else None
    started = _call(client.post, f"/models/{service}/train", data=form, files=files)
    if not wait:
        typer.echo(started["job_id"])
        return
    _finish(follow(client, started["job_id"]))


@jobs_app.command("watch")
def watch(job_id: Annotated[str, typer.Argument(help="The job's id")],
          api_url: ApiUrl = None) -> None:
    """Follow a job's progress until it ends."""
    _finish(follow(_client(api_url), job_id))


@jobs_app.command("list")
def list_jobs(service: Annotated[str | None, typer.Option(help="One service's jobs")] = None,
              api_url: ApiUrl = None) -> None:
    """Recent jobs, newest first."""
    jobs = _call(_client(api_url).get, "/jobs", service=service)["jobs"]
    for job in jobs:
        typer.echo(f"{job['job_id']}  {job['service']:<11} {job['state']:<10} "
                   f"{job['progress']:>5.1f}%  {job['created_at']}")


@jobs_app.command("cancel")
def cancel(job_id: Annotated[str, typer.Argument(help="The job's id")],
           api_url: ApiUrl = None) -> None:
    """Cancel a queued or running job."""
    job = _call(_client(api_url).delete, f"/jobs/{job_id}")
    typer.echo(f"{job['job_id']}: {job['state']}")
