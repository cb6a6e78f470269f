"""A training job as a Ray task: scheduled by Ray on a node with room, never in a replica.

The task runs the same code as a job's own process (``jobs.process.run``): state, progress
and heartbeat go into the ``jobs`` table, which every node must reach (PostgreSQL; SQLite
only on one node), and a cancel is noticed by the job itself at its next heartbeat, which
ends the task's worker process. The task asks for ``MODELWORKS_RAY_TRAINING_CPUS`` CPUs and,
when set, one unit of the custom resource ``MODELWORKS_RAY_TRAINING_RESOURCE``, so training
lands only on nodes started to take it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import ray

from modelworks.core.settings import Settings


def run_job(job_id: str, environment: dict[str, str], upload: bytes | None
            ) -> tuple[int, str]:
    """Body of the Ray task: train job ``job_id``; the exit code and the node's host name.

    An uploaded training file travels with the task (through Ray's object store) and is
    written where the job expects it in this node's home, so training nodes need no share
    of the serving nodes' disks.
    """
    os.environ.update(environment)
    from modelworks.server.jobs.process import lower_priority, run
    from modelworks.server.logs import configure_logging

    lower_priority()  # this worker process exits after the task (max_calls=1)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if upload is not None:
        path = upload_path(settings, job_id)
        if not path.is_file() or path.stat().st_size != len(upload):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_bytes(upload)
            path.chmod(0o600)
    return run(job_id, settings), socket.gethostname()


def upload_path(settings: Settings, job_id: str) -> Path:
    """Where a job's uploaded training file is kept while the job lives (as ``JobRunner``)."""
    return settings.home / "jobs" / job_id / "data"


def start_task(job_id: str, environment: dict[str, str], settings: Settings
               ) -> Callable[[], int]:
    """Submit job ``job_id`` as a Ray task; a function that waits for its exit code.

    Only the ``MODELWORKS_*`` variables travel: the rest of this node's environment (paths,
    Ray's own variables) is not the training node's.
    """
    uploaded = upload_path(settings, job_id)
    upload = uploaded.read_bytes() if uploaded.is_file() else None
    settings_only = {k: v for k, v in environment.items() if k.startswith("MODELWORKS_")}
    resources = ({settings.ray_training_resource: 1.0}
                 if settings.ray_training_resource else {})
    # No retries: a job whose worker died (a cancel ends it that way) must not start again;
    # one worker per task, so the idle scheduling class set for the job goes with it.
    task = ray.remote(max_retries=0, max_calls=1)(run_job).options(
        num_cpus=settings.ray_training_cpus, resources=resources,
        name=f"modelworks-train-{job_id[:8]}")
    reference = task.remote(job_id, settings_only, upload)

    def wait() -> int:
        code, _host = ray.get(reference)
        return int(code)

    return wait
