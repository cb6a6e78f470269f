"""``modelworks serve --ray``: join (or start) a Ray cluster and run the application on it."""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import threading
import uuid
from typing import TYPE_CHECKING

import ray
from ray import serve

from modelworks.core.plugins import load_services
from modelworks.core.settings import Settings
from modelworks.server.cluster.deployments import (
    build_application,
    environment_ready,
    run_dir,
)

if TYPE_CHECKING:
    from ray.serve.deployment import Application

log = logging.getLogger(__name__)
APPLICATION = "modelworks"


def application_from_environment(args: dict[str, str]) -> Application:
    """The application as Ray Serve's config file builds it (KubeRay's ``RayService``).

    ``import_path: modelworks.server.cluster.launch:application_from_environment``; the
    settings come from the ``MODELWORKS_*`` variables of the cluster's containers, and
    ``args`` (the config's ``args``) may name a ``run_id`` to share a run folder.
    """
    settings = Settings()
    _prepare(settings)
    run_id = args.get("run_id") or uuid.uuid4().hex[:12]
    environment_ready(run_id)
    names = list(load_services(settings, settings.services))
    return build_application(settings, names, run_id)


def _prepare(settings: Settings) -> None:
    """Migrate the database and make the first admin key, once, before any replica."""
    from modelworks.server.app import prepare_database
    from modelworks.server.db import make_engine

    engine = make_engine(settings.resolved_database_url)
    try:
        prepare_database(settings, engine)
    finally:
        engine.dispose()


def serve_on_ray(settings: Settings) -> None:
    """Deploy every enabled service on the cluster and wait for SIGINT or SIGTERM.

    The database is migrated and the first admin key made here, once, before any replica
    starts, as ``serve --workers`` does before it forks. On the way out the application is
    deleted (its replicas finish their requests and flush their logs); a cluster this
    command started itself goes with it.
    """
    run_id = uuid.uuid4().hex[:12]
    environment_ready(run_id)
    address = None if settings.ray_address in (None, "local") else settings.ray_address
    ray.init(address=address, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONUNBUFFERED": "1"}})
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    try:
        _prepare(settings)
        names = list(load_services(settings, settings.services))
        serve.start(http_options={"host": settings.host, "port": settings.port},
                    proxy_location=settings.ray_proxy_location)
        serve.run(build_application(settings, names, run_id), name=APPLICATION,
                  route_prefix="/", blocking=False)
        log.warning("serving on Ray", extra={"services": names, "port": settings.port})
        print(f"modelworks: serving {', '.join(names)} on Ray at "
              f"http://{settings.host}:{settings.port}", flush=True)
        stopping.wait()
    finally:
        # Whatever did start goes: a failed start must not leave replicas on the cluster.
        with contextlib.suppress(Exception):
            serve.delete(APPLICATION)
        if address is None:
            with contextlib.suppress(Exception):
                serve.shutdown()
        ray.shutdown()
        shutil.rmtree(run_dir(run_id), ignore_errors=True)
