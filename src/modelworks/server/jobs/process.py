"""The process one training job runs in: ``python -m modelworks.server.jobs.process JOB_ID``.

Training runs here, never in a serving worker, so a long fit cannot hold the workers' GIL.
The process reads its job record, trains with the core's ``train_and_register`` (gate
included), reports progress into the record and writes a heartbeat every second. When the job
is cancelled it exits at the next heartbeat; the registry's atomic writes make that safe.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from pathlib import Path

from modelworks.core.errors import ModelworksError
from modelworks.core.plugins import load_services
from modelworks.core.registry import Registry
from modelworks.core.service import TrainOptions
from modelworks.core.settings import Settings
from modelworks.core.training import train_and_register
from modelworks.server.db import make_engine
from modelworks.server.jobs.store import JobStore
from modelworks.server.logs import configure_logging

log = logging.getLogger(__name__)
PREPARED = "prepared"
HEARTBEAT_SECONDS = 1.0


class Cancelled(Exception):
    """The job was cancelled while it ran."""


def lower_priority() -> None:
    """Leave the CPU to serving: the job (and its helper processes) runs on idle cycles.

    ``SCHED_IDLE`` rather than a nice value: on a machine whose cores are hyperthreads, a niced
    job still shares each core with the workers and slowed serving by about 40% here.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or refused: at least a lower nice value
        os.nice(10)


def run(job_id: str, settings: Settings) -> int:
    """Train the job; the process exit code."""
    engine = make_engine(settings.resolved_database_url)
    store = JobStore(engine)
    upload = settings.home / "jobs" / job_id
    if not store.begin(job_id):
        shutil.rmtree(upload, ignore_errors=True)
        return 0  # cancelled before we got going
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(store, job_id, stop, upload), daemon=True)
    beat.start()
    try:
        record = store.get(job_id)
        service = load_services(settings, [record.service])[record.service]
        source = service.prepare_data(settings) if record.data == PREPARED else Path(record.data)
        data = service.read_training_data(source)

        def progress(step: str, fraction: float) -> None:
            if not store.report(job_id, step, fraction):
                raise Cancelled

        options = TrainOptions(**record.options)
        result = train_and_register(service, Registry.from_settings(settings), data, progress,
                                    options)
        store.succeed(job_id, result.to_json())
        return 0
    except Cancelled:
        return 0
    except ModelworksError as exc:
        store.fail(job_id, exc.message)
        return 1
    except Exception as exc:
        log.exception("training job failed", extra={"job_id": job_id})
        store.fail(job_id, f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        stop.set()
        engine.dispose()
        shutil.rmtree(upload, ignore_errors=True)  # the data is the client's: keep it no longer


def _beat(store: JobStore, job_id: str, stop: threading.Event, upload: Path) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            alive = store.heartbeat(job_id)
        except Exception:  # a database hiccup must not kill the job; the next beat retries
            log.exception("job heartbeat failed")
            continue
        if not alive and not stop.is_set():
            shutil.rmtree(upload, ignore_errors=True)
            os._exit(0)  # cancelled: nothing of ours is half-written outside the registry


def main() -> None:
    """Entry point of the job process."""
    lower_priority()
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    sys.exit(run(sys.argv[1], settings))


if __name__ == "__main__":
    main()
