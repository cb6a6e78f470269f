"""``modelworks jobs``: start, follow, list and cancel background training jobs over HTTP.

The commands talk to a running server (``--api-url``, default ``MODELWORKS_API_URL``) through
``modelworks.client``, with ``--api-key``, ``MODELWORKS_API_KEY`` or the admin key from
``MODELWORKS_HOME``, so training runs in the server's job processes and this terminal only
follows its progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from modelworks.cli.common import (
    ApiKey,
    ApiUrl,
    AsJson,
    api,
    call,
    console,
    print_json,
    progress_columns,
)

if TYPE_CHECKING:
    from modelworks.client import Client
    from modelworks.client.results import Job

jobs_app = typer.Typer(help="Background training jobs on a running server.",
                       no_args_is_help=True)
POLL_SECONDS = 0.5


def follow(client: Client, job_id: str) -> Job:
    """Show the job's progress bar until it reaches a final state; its last record."""
    with Progress(*progress_columns(), console=console) as bar:
        task = bar.add_task("queued", total=100)

        def show(job: Job) -> None:
            bar.update(task, completed=job.progress, description=job.step or job.state)

        return call(client.wait_for_job, job_id, on_update=show, poll_seconds=POLL_SECONDS)


def _finish(job: Job) -> None:
    print_json(job.model_dump(include={"job_id", "state", "result", "error"}))
    if job.state != "succeeded":
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
    api_key: ApiKey = None,
) -> None:
    """Start a training job and follow it with a progress bar."""
    with api(api_url, api_key) as client:
        started = call(client.start_job, service, data, model=model, name=name,
                       register=register)
        if not wait:
            typer.echo(started.job_id)
            return
        _finish(follow(client, started.job_id))


@jobs_app.command("watch")
def watch(job_id: Annotated[str, typer.Argument(help="The job's id")],
          api_url: ApiUrl = None, api_key: ApiKey = None) -> None:
    """Follow a job's progress until it ends."""
    with api(api_url, api_key) as client:
        _finish(follow(client, job_id))


@jobs_app.command("list")
def list_jobs(service: Annotated[str | None, typer.Option(help="One service's jobs")] = None,
              limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many")]
              = 50,
              as_json: AsJson = False, api_url: ApiUrl = None, api_key: ApiKey = None) -> None:
    """Recent jobs, newest first."""
    with api(api_url, api_key) as client:
        jobs = call(client.jobs, service, limit=limit)
    if as_json:
        print_json([job.model_dump() for job in jobs])
        return
    for job in jobs:
        typer.echo(f"{job.job_id}  {job.service:<11} {job.state:<10} "
                   f"{job.progress:>5.1f}%  {job.created_at}")


@jobs_app.command("cancel")
def cancel(job_id: Annotated[str, typer.Argument(help="The job's id")],
           api_url: ApiUrl = None, api_key: ApiKey = None) -> None:
    """Cancel a queued or running job."""
    with api(api_url, api_key) as client:
        job = call(client.cancel_job, job_id)
    typer.echo(f"{job.job_id}: {job.state}")
