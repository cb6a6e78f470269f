"""Starting job processes from a server, and the environment they inherit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from modelworks.core.settings import Settings


def job_environment(settings: Settings) -> dict[str, str]:
    """The server's environment plus the settings a job needs, as ``MODELWORKS_*``.

    Settings given in code (tests, embedding) rather than the environment reach the job too.
    """
    # A job is not a worker: it must not write into the server's shared metrics or status.
    env = {name: value for name, value in os.environ.items()
           if name not in ("PROMETHEUS_MULTIPROC_DIR", "MODELWORKS_RUN_DIR")}
    env.update({
        "MODELWORKS_HOME": str(settings.home.resolve()),
        "MODELWORKS_DATABASE_URL": settings.resolved_database_url,
        "MODELWORKS_GATE_TOLERANCE": str(settings.gate_tolerance),
        "MODELWORKS_LOG_LEVEL": settings.log_level,
    })
    return env


class JobRunner:
    """Starts one process per job and reaps it when it exits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.uploads_dir = settings.home / "jobs"

    def upload_path(self, job_id: str) -> Path:
        """Where an uploaded training file for ``job_id`` is kept."""
        return self.uploads_dir / job_id / "data"

    def start(self, job_id: str) -> None:
        """Launch the job's process in the background."""
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "modelworks.server.jobs.process", job_id],
            env=job_environment(self.settings), stdin=subprocess.DEVNULL,
            start_new_session=True)
        threading.Thread(target=process.wait, name=f"job-{job_id[:8]}", daemon=True).start()
