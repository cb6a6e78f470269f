"""``modelworks serve --workers N``: the models load once, N forked workers share them.

Gunicorn's master builds the app and loads every live model, then forks the workers (each runs
uvicorn's event loop). Forked workers share the master's memory pages copy-on-write, so a
model's arrays, the ONNX encoder's weights and the imported libraries exist once per machine.
Loaded objects are frozen out of the garbage collector (``gc.freeze``) before the fork, so the
collector never writes to, and so never copies, their pages. A version swapped in later is
loaded by each worker; its arrays are memory-mapped from the registry where a service allows,
and the packaged encoder is reused, so what stays private per worker is small.

The workers of one server share a run folder: Prometheus's multiprocess files (so ``/metrics``
sums every worker) and which model version each worker serves (``GET /models/{service}``).
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from modelworks.server.heap import limit_arenas

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modelworks.core.settings import Settings



def make_run_dir() -> Path:
    """A fresh run folder, with Prometheus's multiprocess folder in it named in the environment.

    Must run before ``prometheus_client`` is imported: the library picks its value store once,
    at import, from ``PROMETHEUS_MULTIPROC_DIR``.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("make_run_dir() must run before prometheus_client is imported")
    # N processes already fill the cores; BLAS and OpenMP pools per process would only contend
    # (read once, when numpy and friends load, which is why this happens here).
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    limit_arenas()  # inherited by the forked workers
    run_dir = Path(tempfile.mkdtemp(prefix="modelworks-run-"))
    (run_dir / "metrics").mkdir()
    (run_dir / "workers").mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(run_dir / "metrics")
    return run_dir


def preload(app: FastAPI) -> None:
    """Load every live model in the master, then make the loaded state safe to fork."""
    for model in app.state.live.values():
        model.refresh()
    # Pooled connections must not be shared by processes; each worker opens its own.
    app.state.engine.dispose()
    gc.collect()
    gc.freeze()


def gunicorn_logging(level: str, log_format: str = "auto") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` that renders gunicorn's logs like every other line."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "modelworks.server.logs.formatter_for",
                                "log_format": log_format}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": level.upper(),
                                       "propagate": False},
                    "gunicorn.access": {"handlers": [], "propagate": False}},
    }


class PreforkServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """Gunicorn with uvicorn workers around an app that was built (and preloaded) here."""

    def __init__(self, app: FastAPI, settings: Settings, run_dir: Path) -> None:
        self._app = app
        self._settings = settings
        self._run_dir = run_dir
        super().__init__()

    def load_config(self) -> None:
        """Gunicorn settings from ours."""
        settings = self._settings
        options: dict[str, Any] = {
            "bind": f"{settings.host}:{settings.port}",
            "workers": settings.workers,
            "worker_class": "uvicorn_worker.UvicornWorker",
            "preload_app": True,
            # A worker blocked this long (a model load counts) is replaced by a fresh fork.
            "timeout": 120,
            "graceful_timeout": 30,
            "keepalive": 5,
            # Believe X-Forwarded-For only from the configured proxies (none by default).
            "forwarded_allow_ips": settings.forwarded_allow_ips or "",
            "loglevel": settings.log_level.lower(),
            # The master's and workers' own lines in the format of every other line.
            "logconfig_dict": gunicorn_logging(settings.log_level, settings.log_format),
            "child_exit": self._child_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> FastAPI:
        """The app, already built by the caller."""
        return self._app

    def _child_exit(self, server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
        (self._run_dir / "workers" / f"{worker.pid}.json").unlink(missing_ok=True)


def serve_forked(app: FastAPI, settings: Settings, run_dir: Path) -> None:
    """Run the forked workers until the master is stopped; the run folder goes with it."""
    try:
        preload(app)
        PreforkServer(app, settings, run_dir).run()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
