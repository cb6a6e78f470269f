"""Running queued jobs on this machine: claiming them, starting their processes, cleaning up.

Every training run, the synchronous ``POST /genres/train`` included, is a job: submitted to
the ``jobs`` table, claimed when this machine has room (``MODELWORKS_MAX_JOBS`` at once, one
per service), trained in a process of its own. Claims are serialised by a lock file in home
(the processes of one machine) and, on PostgreSQL, an advisory lock (the machines).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modelworks.core.errors import ModelworksError
from modelworks.core.settings import Settings
from modelworks.server.jobs.process import PREPARED
from modelworks.server.jobs.store import JobStore

_ORPHAN_UPLOAD_SECONDS = 600


class QueueFull(ModelworksError):
    """Too many jobs of one service wait already."""

    status_code = 429


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
    """Submits jobs, starts the ones this machine has room for, and removes their uploads."""

    def __init__(self, settings: Settings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.uploads_dir = settings.home / "jobs"
        # On Ray the cluster places jobs: MODELWORKS_MAX_JOBS counts them cluster-wide.
        self.host = "ray" if settings.ray_address is not None else socket.gethostname()

    def upload_path(self, job_id: str) -> Path:
        """Where an uploaded training file for ``job_id`` is kept while the job lives."""
        return self.uploads_dir / job_id / "data"

    def submit(self, service: str, options: dict[str, Any], upload: bytes | None) -> str:
        """Queue a job on an upload (kept owner-only until the job ends) or the prepared data.

        Its id; it starts at once if this machine has room, else when room frees up.
        """
        if self.store.queued_for(service) >= self.settings.max_queued_jobs:
            raise QueueFull(f"{self.settings.max_queued_jobs} training jobs of {service} are "
                            "already waiting; try again when one has started "
                            "(MODELWORKS_MAX_QUEUED_JOBS)")
        job_id = str(uuid.uuid4())
        data = PREPARED
        if upload is not None:
            path = self.upload_path(job_id)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(upload)
            data = str(path)
        self.store.create(service, options, data, job_id)
        self.schedule()
        return job_id

    def schedule(self) -> None:
        """Start the queued jobs this machine has room for."""
        if not self.store.queued():
            return
        with self._machine_lock():
            claimed = self.store.claim(self.host, self.settings.max_jobs)
        for job_id in claimed:
            try:
                self._start(job_id)
            # No process or no Ray task: the job fails now, not in 20 s as "silent".
            except Exception as exc:
                self.store.fail(job_id, f"the training process could not start: {exc}")

    def sweep(self) -> None:
        """Remove the uploads of jobs that are over (finished, failed, cancelled, abandoned).

        A folder whose job is not in the table yet is being submitted right now; it is left
        alone unless it is old (its submitter died between the write and the insert).
        """
        if not self.uploads_dir.is_dir():
            return
        folders = {p.name: p for p in self.uploads_dir.iterdir() if p.is_dir()}
        over = self.store.finished_ids(list(folders))
        unknown = over - self.store.known_ids(list(over))
        stale = time.time() - _ORPHAN_UPLOAD_SECONDS
        for job_id in over:
            folder = folders[job_id]
            if job_id in unknown and folder.stat().st_mtime > stale:
                continue
            shutil.rmtree(folder, ignore_errors=True)

    def periodic(self) -> None:
        """What a server runs every poll interval: start waiting jobs, clear old uploads."""
        self.schedule()
        self.sweep()

    def _start(self, job_id: str) -> None:
        if self.settings.ray_address is not None:  # serve --ray: a task on the cluster
            from modelworks.server.cluster.training import start_task

            wait = start_task(job_id, job_environment(self.settings), self.settings)
        else:
            wait = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
                [sys.executable, "-m", "modelworks.server.jobs.process", job_id],
                env=job_environment(self.settings), stdin=subprocess.DEVNULL,
                start_new_session=True).wait

        def reap() -> None:
            try:
                code = wait()
            except Exception as exc:  # the Ray task's worker died (a cancel ends it so too)
                code = -1
                reason = f"{type(exc).__name__}"
            else:
                reason = f"status {code}"
            with contextlib.suppress(Exception):  # the next periodic round tries again
                if code != 0:  # died before reporting: say so now, free its slot at once
                    self.store.fail(job_id, f"the training process exited ({reason}) "
                                            "before finishing")
                self.schedule()

        threading.Thread(target=reap, name=f"job-{job_id[:8]}", daemon=True).start()

    @contextlib.contextmanager
    def _machine_lock(self) -> Iterator[None]:
        self.uploads_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.uploads_dir / ".schedule.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
