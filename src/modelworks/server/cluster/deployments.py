"""The Ray Serve application: a deployment per enabled service behind one ingress.

Each service's replica runs the plain server's app built for that one service
(``create_app`` with ``services=[name]``), so authentication, middleware, headers, metrics,
the prediction log and the live-model poller are the very code ``modelworks serve`` runs.
The ingress receives every HTTP request, asks ``RouteTable`` who owns it and forwards it
through that deployment's handle; what the plain server answers about all services at once
(``/``, ``/openapi.json``, ``/docs``, ``/metrics``) its own app of every service answers, and
``/readyz`` and ``GET /models`` are asked of each deployment and merged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ray import serve
from ray.exceptions import ActorUnavailableError, RayActorError
from starlette.requests import Request
from starlette.responses import Response

from modelworks.core.settings import RayDeployment, Settings
from modelworks.server.cluster.forward import Answered, Forwarded, call_app
from modelworks.server.cluster.routing import Kind, RouteTable

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from fastapi import FastAPI
    from ray.serve.deployment import Application
    from ray.serve.handle import DeploymentHandle

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
INGRESS_CPUS = 0.1
"""The ingress only forwards; Ray reserves this much of a CPU for it."""


def run_dir(run_id: str) -> Path:
    """The folder the processes of one ``serve --ray`` share on each node.

    Prometheus's multiprocess files (so ``/metrics`` sums every replica of the node) and
    which version each replica serves (``GET /models/{service}``), as ``serve --workers``.
    """
    return Path(tempfile.gettempdir()) / f"modelworks-ray-{run_id}"


def process_environment(run_id: str) -> dict[str, str]:
    """Variables every replica starts with (Ray's ``runtime_env``).

    Prometheus reads its folder once, at import, so it must be in the environment before the
    process imports anything of ours. A replica is given a fraction of a core: native thread
    pools of one thread, as the forked workers of ``serve --workers`` have.
    """
    return {"PROMETHEUS_MULTIPROC_DIR": str(run_dir(run_id) / "metrics"),
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _prepare_run_dir(run_id: str) -> Path:
    folder = run_dir(run_id)
    (folder / "metrics").mkdir(parents=True, exist_ok=True)
    (folder / "workers").mkdir(parents=True, exist_ok=True)
    return folder


class ServiceReplica:
    """One replica of one service: the plain server's app for that service, in-process."""

    # Ray Serve awaits an async constructor; type checkers know only a synchronous one.
    async def __init__(  # type: ignore[misc]
            self, settings: Settings, service: str, run_id: str) -> None:
        """Build the app and run its start-up: migrations checked, the live model loaded."""
        from modelworks.server.app import create_app
        from modelworks.server.logs import configure_logging

        configure_logging(settings.log_level, settings.log_format)
        own = settings.model_copy(update={"services": [service],
                                          "run_dir": _prepare_run_dir(run_id),
                                          "model_threads": settings.model_threads or 1})
        self._app: FastAPI = create_app(own)
        self._lifespan: AbstractAsyncContextManager[Any] = (
            self._app.router.lifespan_context(self._app))
        await self._lifespan.__aenter__()

    async def handle(self, request: Forwarded) -> Answered:
        """Answer one forwarded request with the service's app."""
        return await call_app(self._app, request)

    async def __del__(self) -> None:
        """Ray Serve stops the replica: stop the poller, flush the prediction log."""
        await self._lifespan.__aexit__(None, None, None)


class Ingress:
    """Every HTTP request of the application, forwarded to the deployment that owns it."""

    def __init__(self, settings: Settings, handles: dict[str, DeploymentHandle[Any]],
                 run_id: str) -> None:
        """The route table and the app of every service that answers the documents."""
        # Imported here, in the replica's process, whose environment names Prometheus's
        # multiprocess folder (read once, at import).
        from prometheus_client import Counter

        from modelworks.core.plugins import load_services
        from modelworks.server.app import create_app
        from modelworks.server.logs import configure_logging

        configure_logging(settings.log_level, settings.log_format)
        _prepare_run_dir(run_id)
        services = load_services(settings, list(handles))
        self._handles = handles
        # In Prometheus's multiprocess mode every process's values reach /metrics, registered
        # or not; kept out of the default registry, which Ray's own process may scrape.
        self._resent = Counter("modelworks_ray_resent_requests",
                               "Requests sent again after the replica that had them died.",
                               ["service"], registry=None)
        # Never started (no lifespan): it serves documents and metrics only, no model.
        self._app = create_app(settings, services)
        self._routes = RouteTable(
            {name: create_app(settings, {name: service}) for name, service in services.items()},
            create_app(settings, {}))

    async def __call__(self, request: Request) -> Response:
        """Forward one HTTP request and hand back the owner's answer unchanged."""
        forwarded = Forwarded(
            method=request.method, path=request.url.path, query=request.url.query.encode(),
            headers=list(request.headers.raw), body=await request.body(),
            client=(request.client.host, request.client.port) if request.client else None,
            scheme=request.url.scheme)
        where = self._routes.destination(forwarded.path, forwarded.query, forwarded.method)
        if where.kind is Kind.LOCAL:
            answer = await call_app(self._app, forwarded)
        elif where.kind is Kind.MERGED:
            answer = await self._merged(forwarded)
        else:
            assert where.service is not None
            answer = await self._send(where.service, forwarded, where.retry_safe)
        response = Response(content=answer.body, status_code=answer.status)
        # Ray Serve's proxy puts a request id into every request that lacks one (our
        # middleware reads it from there) and adds it to every answer: ours would repeat it.
        response.raw_headers = [(k, v) for k, v in answer.headers
                                if k.lower() != REQUEST_ID_HEADER]
        return response

    async def _send(self, service: str, request: Forwarded, retry_safe: bool) -> Answered:
        handle = self._handles[service]
        try:
            answer: Answered = await handle.handle.remote(request)
            return answer
        except (RayActorError, ActorUnavailableError):
            # The replica died with the request on it. Ray Serve sends new requests only to
            # live replicas but does not repeat one a replica took; a read or a prediction
            # may be asked again, a write (train, promote, keys) may not: it may have
            # happened.
            if not retry_safe:
                return _replica_lost(service)
        log.warning("replica lost mid-request; sending it again",
                    extra={"service": service, "path": request.path})
        self._resent.labels(service).inc()
        try:
            answer = await handle.handle.remote(request)
        except (RayActorError, ActorUnavailableError):
            return _replica_lost(service)
        return answer

    async def _merged(self, request: Forwarded) -> Answered:
        answers = await asyncio.gather(*(self._send(name, request, True)
                                         for name in self._handles))
        if request.path == "/readyz":
            return merge_readiness(answers)
        failed = next((a for a in answers if a.status != 200), None)
        if failed is not None:  # a 401 or 403: every service's app says the same
            return failed
        merged: dict[str, Any] = {}
        for answer in answers:
            merged.update(json.loads(answer.body))
        return _json_answer(merged, 200, answers[0])


def _replica_lost(service: str) -> Answered:
    """503 in the server's error shape: the replica died and the request was not repeated."""
    return _json_answer({"error": f"the {service} replica handling this request stopped; "
                                  "it may or may not have taken effect: check, then retry"},
                        503, Answered(headers=[(b"content-type", b"application/json"),
                                               (b"retry-after", b"5")]))


def merge_readiness(answers: list[Answered]) -> Answered:
    """One ``/readyz`` of the answers of every service's deployment."""
    bodies = [json.loads(a.body) for a in answers]
    ready = all(a.status == 200 for a in answers)
    unreachable = any(b.get("database") == "unreachable" for b in bodies)
    services: dict[str, Any] = {}
    for body in bodies:
        services.update(body.get("services", {}))
    if not ready:  # only the services that are not ready, as the plain server lists them
        services = {}
        for answer, body in zip(answers, bodies, strict=True):
            if answer.status != 200:
                services.update(body.get("services", {}))
    status = "not ready" if not ready else "degraded" if unreachable else "ready"
    body = {"status": status, "services": services,
            "database": "unreachable" if unreachable else "ok",
            "spooled": sum(int(b.get("spooled", 0)) for b in bodies)}
    return _json_answer(body, 200 if ready else 503, answers[0])


def _json_answer(body: dict[str, Any], status: int, like: Answered) -> Answered:
    content = json.dumps(body, separators=(",", ":")).encode()
    kept = [(k, v) for k, v in like.headers if k.lower() not in (b"content-length",)]
    return Answered(status, [*kept, (b"content-length", str(len(content)).encode())], content)


def deployment_options(name: str, wanted: RayDeployment, run_id: str) -> dict[str, Any]:
    """Ray Serve options of service ``name``'s deployment from its settings."""
    options: dict[str, Any] = {
        "name": name,
        "ray_actor_options": {"num_cpus": wanted.num_cpus, "resources": wanted.resources,
                              "runtime_env": {"env_vars": process_environment(run_id)}},
        # Loading a model takes longer than Ray's default start-up allowance on a busy node.
        "health_check_timeout_s": 60,
    }
    if wanted.num_replicas is not None:
        options["num_replicas"] = wanted.num_replicas
    else:
        options["autoscaling_config"] = {
            "min_replicas": wanted.min_replicas, "max_replicas": wanted.max_replicas,
            "initial_replicas": max(wanted.min_replicas, 1),
            "target_ongoing_requests": wanted.target_ongoing_requests}
    return options


def build_application(settings: Settings, service_names: list[str], run_id: str) -> Application:
    """The bound application: one deployment per service, the ingress in front."""
    handles = {}
    for name in service_names:
        wanted = settings.ray_deployments.get(name, RayDeployment())
        deployment = serve.deployment(**deployment_options(name, wanted, run_id))
        handles[name] = deployment(ServiceReplica).bind(settings, name, run_id)
    ingress = serve.deployment(
        name="ingress", num_replicas=1,
        ray_actor_options={"num_cpus": INGRESS_CPUS,
                           "runtime_env": {"env_vars": process_environment(run_id)}})
    application: Application = ingress(Ingress).bind(settings, handles, run_id)
    return application


def environment_ready(run_id: str) -> None:
    """Make this process (the CLI's) a member of the run: its folder and metrics folder."""
    os.environ.update(process_environment(run_id))
    _prepare_run_dir(run_id)
